// `npm run sim -- --seed 42 --steps 500 [--faults none|light|heavy] [--proxies 1 --targets 3 --mountpaths 2] [--verbose]`
// `npm run sim -- --seeds 1-500 [--faults heavy]`: a sweep with a summary table.
// Runs one seed of the deterministic simulation and prints its trace hash and speed; on failure, the
// seed and the one-line command that replays it exactly.
import { parseArgs } from 'node:util';
import { FAULT_PROFILES, FAULT_RATE_NAMES, type FaultProfile } from './faults.ts';
import { cpuMsSince, replayCommand, runSeed, type SimRunOptions } from './run.ts';
import { GB_HOT_MS } from './get-batch.ts';
import { failureLines, parseSeeds, runSweep, summaryHeader, summaryRow } from './sweep.ts';

const USAGE = 'usage: npm run sim -- (--seed N | --seeds A-B[,C...]) [--steps N] [--faults none|light|heavy] [--power-loss] [--proxies N] [--targets N] [--mountpaths N] [--pause-ms N] [--no-jobs] [--no-membership] [--lost-mountpath] [--get-batch] [--no-io-time] [--override rate=value,...] [--verbose]';

function intArg(v: string | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not "${v}"`);
  return n;
}

/** `--override primaryCrashP=0.5,metaEioP=0.3`: numeric rates of the fault plan, replacing the drawn ones. */
function parseOverrides(spec: string): NonNullable<SimRunOptions['faultOverrides']> {
  const out: Record<string, number> = {};
  for (const part of spec.split(',')) {
    const m = /^([A-Za-z]+)=([0-9.eE+-]+)$/.exec(part.trim());
    if (!m || !Number.isFinite(Number(m[2]))) throw new Error(`bad --override "${part}" (want name=number)`);
    if (!FAULT_RATE_NAMES.includes(m[1]!)) throw new Error(`--override: unknown rate "${m[1]}" (one of ${FAULT_RATE_NAMES.join(', ')})`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      seeds: { type: 'string' },
      faults: { type: 'string' },
      'power-loss': { type: 'boolean' },
      'no-jobs': { type: 'boolean' },
      'no-membership': { type: 'boolean' },
      'lost-mountpath': { type: 'boolean' },
      'get-batch': { type: 'boolean' },
      'no-io-time': { type: 'boolean' },
      override: { type: 'string' },
      steps: { type: 'string' },
      proxies: { type: 'string' },
      targets: { type: 'string' },
      mountpaths: { type: 'string' },
      'pause-ms': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = intArg(values.seed, 42, 'seed');
  const opts: SimRunOptions = {
    steps: intArg(values.steps, 500, 'steps'),
    proxies: intArg(values.proxies, 1, 'proxies'),
    targets: intArg(values.targets, 3, 'targets'),
    mountpaths: intArg(values.mountpaths, 2, 'mountpaths'),
    verbose: values.verbose ?? false,
  };
  const faults = values.faults ?? 'none';
  if (!FAULT_PROFILES.includes(faults as FaultProfile)) throw new Error(`--faults must be one of ${FAULT_PROFILES.join('|')}, not "${faults}"`);
  opts.faults = faults as FaultProfile;
  if (values['power-loss']) opts.powerLoss = true;
  if (values['no-jobs']) opts.jobs = false;
  if (values['no-membership']) opts.membership = false;
  if (values['lost-mountpath']) opts.lostMountpath = true;
  if (values['get-batch']) opts.getBatch = true;
  if (values['no-io-time']) opts.ioTime = false;
  if (values.override !== undefined) opts.faultOverrides = parseOverrides(values.override);
  if (values['pause-ms'] !== undefined) opts.pauseMsMax = intArg(values['pause-ms'], 0, 'pause-ms');
  if (values.seeds !== undefined) {
    if (values['pause-ms'] !== undefined) opts.pauseMsMax = intArg(values['pause-ms'], 0, 'pause-ms');
    const seeds = parseSeeds(values.seeds);
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    console.log(`sweep: ${seeds.length} seeds, faults ${opts.faults}, ${opts.steps} steps, ${opts.proxies}+${opts.targets}x${opts.mountpaths}`);
    console.log(summaryHeader());
    const { results, failed } = await runSweep(seeds, opts, (r) => console.log(summaryRow(r)));
    const simS = results.reduce((a, r) => a + r.virtualMs, 0) / 1000;
    const wallS = (performance.now() - wall0) / 1000;
    const cpuS = cpuMsSince(cpu0) / 1000;
    const relaxed = results.filter((r) => r.ok && r.membershipChanged).length;
    const lost = results.filter((r) => r.ok && r.lost !== undefined).length;
    const notes = [relaxed > 0 ? `${relaxed} with a membership change: placement checks relaxed, marked ok*` : '', lost > 0 ? `${lost} with a lost mountpath: its names relaxed, marked okL` : ''].filter((x) => x !== '');
    console.log(`\n${results.length - failed.length}/${results.length} passed${notes.length > 0 ? ` (${notes.join('; ')})` : ''}; ${simS.toFixed(1)} simulated s in ${wallS.toFixed(1)} wall s (${(simS / wallS).toFixed(1)}x), ${cpuS.toFixed(1)} CPU s (${(simS / cpuS).toFixed(1)}x per CPU s)`);
    for (const r of failed) for (const l of failureLines(r, opts)) console.log(l);
    return failed.length > 0 ? 1 : 0;
  }
  const r = await runSeed(seed, opts);
  const virtualS = r.virtualMs / 1000;
  const wallS = r.wallMs / 1000;
  console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAILED'}`);
  console.log(`  cluster      ${opts.proxies} proxies, ${opts.targets} targets x ${opts.mountpaths} mountpaths`);
  const f = r.faults;
  console.log(`  faults       ${opts.faults}${f ? ` (${f.connDrops} connection drops, ${f.isolations} isolations, ${f.crashes} crashes of which ${f.primaryCrashes} of the primary, ${f.diskErrors} disk errors, ${f.metaErrors} metadata write errors, ${f.indexErrors} index write errors, ${f.diskSlow} slow disk ops)` : ''}`);
  if (r.lost) console.log(`  lost         mountpath ${r.lost.mountpath} of ${r.lost.target} at ${r.lost.atMs.toFixed(3)} ms (${f?.lostErrors ?? 0} failed ops); checks relaxed for ${r.lost.names.length} name(s) placed on it: ${r.lost.names.join(', ')}; ${r.lost.sameTargetNames} name(s) on its other mountpaths checked as usual; ${r.lost.lostReadable} lost name(s) still readable`);
  const m = r.membership;
  if (m) console.log(`  membership   ${m.joins} joined, ${m.maintenances} maintenance, ${m.shutdowns} shutdown+restart, ${m.decommissions} decommissioned, ${m.failed} refused`);
  if (r.stats) console.log(`  workload     ${r.stats.puts} PUT (${r.stats.bytesPut} B), ${r.stats.gets} GET, ${r.stats.deletes} DELETE, ${r.stats.lists} list, ${r.stats.failed} failed`);
  if (r.jobs) console.log(`  jobs         ${r.jobs.started} copy-bck started (${r.jobs.startFailed} start failed), ${r.jobs.ended} ended (${r.jobs.endedErr} aborted/err), ${r.jobs.verified} verified, ${r.jobs.unverifiable} unverifiable`);
  const g = r.getBatch;
  if (g) console.log(`  get-batch    ${g.requests} requests (${g.duringMembership} during a membership change, ${g.duringOutage} with a target crashed, ${g.afterChange} within ${GB_HOT_MS / 1000} s after either): ${g.ok} whole, ${g.cut} streams cut, ${g.status404} 404, ${g.status429} 429, ${g.status5xx} 5xx, ${g.noAnswer} no answer; ${g.itemsChecked} items checked, ${g.missingEntries} __404__ entries (${g.missingRelaxed} of names out of reach); final batch ${g.finalItems} items`);
  if (r.membershipChanged) console.log('  note         a node left the Smap during the run: placement checks were relaxed (no rebalance yet)');
  console.log(`  simulated    ${virtualS.toFixed(3)} s (${r.events} events)`);
  console.log(`  wall         ${wallS.toFixed(3)} s`);
  console.log(`  cpu          ${(r.cpuMs / 1000).toFixed(3)} s`);
  console.log(`  speed        ${(virtualS / wallS).toFixed(1)}x real time (${(r.virtualMs / r.cpuMs).toFixed(1)}x per CPU s)`);
  console.log(`  trace hash   ${r.traceHash}`);
  if (!r.ok) {
    console.log(`  error        ${r.error?.message}`);
    console.log('  last log lines:');
    for (const l of r.logTail.slice(-20)) console.log(`    ${l}`);
    console.log(`replay: ${replayCommand(seed, opts)}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`sim: ${err.message}`);
    console.error(USAGE);
    process.exit(2);
  },
);
