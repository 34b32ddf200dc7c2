// `npm run sim -- --seed 42 --steps 500 [--proxies 1 --targets 3 --mountpaths 2] [--verbose]`
// Runs one seed of the deterministic simulation and prints its trace hash and speed; on failure, the
// seed and the one-line command that replays it exactly.
import { parseArgs } from 'node:util';
import { replayCommand, runSeed, type SimRunOptions } from './run.ts';

const USAGE = 'usage: npm run sim -- --seed N [--steps N] [--proxies N] [--targets N] [--mountpaths N] [--pause-ms N] [--verbose]';

function intArg(v: string | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, not "${v}"`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
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
  if (values['pause-ms'] !== undefined) opts.pauseMsMax = intArg(values['pause-ms'], 0, 'pause-ms');
  const r = await runSeed(seed, opts);
  const virtualS = r.virtualMs / 1000;
  const wallS = r.wallMs / 1000;
  console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAILED'}`);
  console.log(`  cluster      ${opts.proxies} proxies, ${opts.targets} targets x ${opts.mountpaths} mountpaths`);
  if (r.stats) console.log(`  workload     ${r.stats.puts} PUT (${r.stats.bytesPut} B), ${r.stats.gets} GET, ${r.stats.deletes} DELETE, ${r.stats.lists} list`);
  console.log(`  simulated    ${virtualS.toFixed(3)} s (${r.events} events)`);
  console.log(`  wall         ${wallS.toFixed(3)} s`);
  console.log(`  speed        ${(virtualS / wallS).toFixed(1)}x real time`);
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
