// `--op rebalance`: global rebalance measured on real processes, each figure against a baseline of
// the same run on this box.
//  1. throughput: 1 proxy + 2 targets, a bucket of --reb-bytes in --size objects (and a small-object
//     case in a fresh cluster); a third target joins (join-by-admin) and the time runs until the
//     rebalance ended on every target; MB moved = sum of `out-bytes`. Baseline: `cp -r` of as many
//     files of the same size as moved, between two directories.
//  2. GET p50/p99 of a closed-loop load while idle (--duration) and for as long as a second rebalance
//     runs (decommission of a target, or one more join); every GET must succeed.
//  3. peak RSS of every target during each rebalance, against a 384 MiB budget.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchArgs, RebArgs } from './args.ts';
import { Cleanup } from './cleanup.ts';
import { startStoppableCluster, type LocalCluster } from './cluster.ts';
import { HttpClient } from './http-client.ts';
import { createBucket, preloadObjects } from './preload.ts';
import { decommission, joinByAdmin, rebStats, waitRebalance, type RebTotals } from './reb-api.ts';
import { getLoad, type GetRun } from './reb-get.ts';
import { RssWindow, REB_RSS_BUDGET_MIB, type RssPeak } from './reb-rss.ts';
import { rebCaseTable, rebGetTable, rebRssTable } from './reb-report.ts';

const TARGETS_BEFORE = 2;
const CONTROL_SOCKETS_MAX = 16;
/** The GET load under rebalance stops when the rebalance ends; this only bounds a stuck one. */
const GET_DURING_MS_MAX = 600_000;
const CP_WRITE_CONCURRENCY = 16;

const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

export interface RebCase {
  label: string;
  /** performance.now() of the trigger (join-by-admin or decommission request sent). */
  triggerAt: number;
  /** 1-minute load average of the box at the trigger and at the end (a shared box: other work skews figures). */
  loadAvg: [number, number];
  objects: number;
  sizeBytes: number;
  rebId: string;
  trigger: string;
  elapsedMs: number;
  totals: RebTotals;
  mbPerSec: number;
  cp?: { files: number; bytes: number; elapsedMs: number; mbPerSec: number; cpuSec: number | undefined };
  /** CPU seconds of all targets during the rebalance. */
  cpuSec: number | undefined;
  rss: RssPeak[];
}

export interface RebGet {
  sizeBytes: number;
  objects: number;
  concurrency: number;
  idle: GetRun;
  during: GetRun;
  reb: RebCase;
  p99Ratio: number;
  /** 1-minute load average after the idle GET run. */
  idleLoadAvg: number;
}

interface Ctx {
  args: BenchArgs;
  reb: RebArgs;
  tmp: string;
  cleanup: Cleanup;
  client: HttpClient;
  notes: string[];
}

async function run(cmd: string, argv: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: 'inherit' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

async function runOut(cmd: string, argv: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

/** User + system seconds of the children from bash's `times` (second line: `0m0.012s 0m0.340s`). */
export function childCpuSec(timesOut: string): number | undefined {
  const line = timesOut.trim().split('\n')[1];
  const m = line === undefined ? null : /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/.exec(line.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : undefined;
}

/** `cp -r` of `files` files of `sizeBytes` each (written first, not timed: page cache warm, as the cluster's). */
async function cpBaseline(dir: string, files: number, sizeBytes: number): Promise<NonNullable<RebCase['cp']>> {
  const src = path.join(dir, 'cp-src');
  const dst = path.join(dir, 'cp-dst');
  await fsp.mkdir(src, { recursive: true });
  let next = 0;
  const write = async (): Promise<void> => {
    while (next < files) {
      const i = next++;
      await fsp.writeFile(path.join(src, `obj-${String(i).padStart(7, '0')}`), randomBytes(sizeBytes));
    }
  };
  await Promise.all(Array.from({ length: CP_WRITE_CONCURRENCY }, write));
  await run('sync', []); // as before the rebalance: no writeback of the setup during the timed copy
  try {
    const t0 = performance.now();
    const out = await runOut('bash', ['-c', 'cp -r "$0" "$1" && times', src, dst]);
    const elapsedMs = performance.now() - t0;
    const bytes = files * sizeBytes;
    return { files, bytes, elapsedMs, mbPerSec: bytes / 1e6 / (elapsedMs / 1000), cpuSec: childCpuSec(out) };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

const targetsOf = (c: LocalCluster) => c.nodes.filter((n) => n.role === 'target');

/**
 * Starts a rebalance (join of a standby target, or decommission of the first target) and times it
 * from the trigger until `what=status` says it ended everywhere. `during` (the GET load) starts just
 * before the trigger, so it also sees the Smap change, and stops when the rebalance ended.
 */
async function rebalanceOnce(
  ctx: Ctx,
  cluster: LocalCluster,
  label: string,
  trigger: 'join' | 'decommission',
  data: { objects: number; sizeBytes: number },
  during?: (stop: Promise<void>) => Promise<GetRun>,
): Promise<{ reb: RebCase; get: GetRun | undefined }> {
  const standby = trigger === 'join' ? await cluster.addTarget({ standby: true }) : undefined;
  const rss = await RssWindow.open(targetsOf(cluster));
  const proxy = cluster.proxyUrl;
  let release: () => void = () => {};
  const stop = new Promise<void>((resolve) => (release = resolve));
  const load = during?.(stop);
  load?.catch(() => undefined); // awaited below
  let rebId = '';
  let elapsedMs = 0;
  // Counters of a decommissioned target vanish with it: keep the last ones seen while it runs.
  let last: RebTotals | undefined;
  let polls = 0;
  let t0 = 0;
  const load0 = os.loadavg()[0]!;
  try {
    t0 = performance.now();
    rebId = standby ? (await joinByAdmin(ctx.client, proxy, standby.publicUrl)).rebId : await decommission(ctx.client, proxy, targetsOf(cluster)[0]!.id);
    log(`${label}: ${trigger} → rebalance ${rebId}`);
    await waitRebalance(ctx.client, proxy, rebId, () => {
      if (trigger === 'decommission' && ++polls % 10 === 0) {
        void rebStats(ctx.client, proxy, rebId).then(
          (t) => void (last = t),
          () => undefined,
        );
      }
    });
    elapsedMs = performance.now() - t0;
  } catch (e) {
    await rss.close(); // stops its sampling timer
    throw e;
  } finally {
    release();
  }
  const get = await load;
  const peaks = await rss.close();
  const cpus = peaks.map((p) => p.cpuSec);
  const cpuSec = cpus.some((c) => c === undefined) ? undefined : cpus.reduce<number>((a, c) => a + c!, 0);
  let totals = await rebStats(ctx.client, proxy, rebId);
  if (last && last.targets > totals.targets) totals = { ...totals, outObjs: Math.max(totals.outObjs, last.outObjs), outBytes: Math.max(totals.outBytes, last.outBytes) };
  if (totals.errors.length > 0) ctx.notes.push(`${label}: rebalance ${rebId} reported errors: ${totals.errors.join(' | ')}`);
  // (a decommissioned sender's final counters are gone with it: only the join case can be compared)
  if (trigger === 'join' && totals.inObjs !== totals.outObjs) ctx.notes.push(`${label}: ${totals.outObjs} objects sent but ${totals.inObjs} received (as reported)`);
  // Bytes moved: what was sent; a departed sender's counters may be missing, receivers' are not.
  const movedBytes = Math.max(totals.outBytes, totals.inBytes);
  return {
    reb: { label, triggerAt: t0, loadAvg: [load0, os.loadavg()[0]!], objects: data.objects, sizeBytes: data.sizeBytes, rebId, trigger, elapsedMs, totals, mbPerSec: movedBytes / 1e6 / (elapsedMs / 1000), rss: peaks, cpuSec },
    get,
  };
}

/** One fresh cluster: fill, a target joins (timed), `cp -r` baseline; then optionally the GET phase. */
async function throughputCase(ctx: Ctx, label: string, objects: number, sizeBytes: number, withGet: boolean): Promise<{ reb: RebCase; get?: RebGet }> {
  const dir = path.join(ctx.tmp, label);
  log(`${label}: starting 1 proxy + ${TARGETS_BEFORE} targets`);
  const { cluster, stop } = await startStoppableCluster(path.join(dir, 'cluster'), ctx.cleanup, ctx.args.fsync ? ['Fsync-PUT'] : [], TARGETS_BEFORE);
  try {
    const bucket = `reb-${randomBytes(4).toString('hex')}`;
    await createBucket(ctx.client, cluster.proxyUrl, bucket);
    log(`${label}: filling ${objects} × ${sizeBytes} B (not measured)`);
    const tf = performance.now();
    await preloadObjects({ client: ctx.client, baseUrl: cluster.proxyUrl, bucket, count: objects, sizeBytes, baselineRoot: undefined });
    log(`${label}: filled in ${((performance.now() - tf) / 1000).toFixed(1)} s; sync`);
    // The fill's dirty pages would otherwise be written back during (and charged to) the rebalance.
    await run('sync', []);
    const { reb } = await rebalanceOnce(ctx, cluster, label, 'join', { objects, sizeBytes });
    log(`${label}: moved ${reb.totals.outObjs} objects, ${(reb.totals.outBytes / 1e6).toFixed(1)} MB in ${(reb.elapsedMs / 1000).toFixed(2)} s`);
    await run('sync', []);
    if (reb.totals.outObjs > 0) reb.cp = await cpBaseline(path.join(dir, 'cp'), reb.totals.outObjs, sizeBytes);
    let get: RebGet | undefined;
    if (withGet) get = await getPhase(ctx, cluster, label);
    return { reb, get };
  } finally {
    await stop();
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

async function getPhase(ctx: Ctx, cluster: LocalCluster, label: string): Promise<RebGet> {
  const { reb, args } = ctx;
  const bucket = `get-${randomBytes(4).toString('hex')}`;
  await createBucket(ctx.client, cluster.proxyUrl, bucket);
  log(`get: filling ${args.objects} × ${reb.getSizeBytes} B (not measured)`);
  await preloadObjects({ client: ctx.client, baseUrl: cluster.proxyUrl, bucket, count: args.objects, sizeBytes: reb.getSizeBytes, baselineRoot: undefined });
  const load = { baseUrl: cluster.proxyUrl, bucket, objects: args.objects, sizeBytes: reb.getSizeBytes, concurrency: args.concurrency };
  log(`get: idle, ${args.concurrency} loops for ${args.durationMs} ms`);
  const idle = await getLoad({ ...load, phase: 'idle', durationMs: args.durationMs });
  const idleLoadAvg = os.loadavg()[0]!;
  log(`get: under rebalance (${reb.trigger})`);
  const r = await rebalanceOnce(ctx, cluster, `${label}+get`, reb.trigger, { objects: args.objects, sizeBytes: reb.getSizeBytes }, (stop) =>
    getLoad({ ...load, phase: 'rebalance', durationMs: GET_DURING_MS_MAX, stop }),
  );
  const during = r.get!;
  for (const g of [idle, during]) {
    if (g.errors === 0) continue;
    const at = (t: number | undefined): string => (t === undefined ? '?' : `${Math.round(t - r.reb.triggerAt)} ms`);
    const when = g === during ? ` (from ${at(g.errorFirstAt)} to ${at(g.errorLastAt)} after the trigger; rebalance took ${Math.round(r.reb.elapsedMs)} ms)` : '';
    ctx.notes.push(`GET ${g.phase}: ${g.errors} errors${when}, e.g. ${g.errorSamples.join(' | ')}`);
  }
  return { sizeBytes: reb.getSizeBytes, objects: args.objects, concurrency: args.concurrency, idle, during, reb: r.reb, p99Ratio: idle.p99Ms > 0 ? during.p99Ms / idle.p99Ms : 0, idleLoadAvg };
}

export async function rebalanceBench(args: BenchArgs): Promise<number> {
  const reb = args.reb!;
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'shoal-bench-reb-'));
  cleanup.add('temp dir', () => fsp.rm(tmp, { recursive: true, force: true }));
  const client = new HttpClient({ maxSockets: CONTROL_SOCKETS_MAX });
  const ctx: Ctx = { args, reb, tmp, cleanup, client, notes: [] };
  try {
    console.log(
      `op=rebalance data=${reb.objects} × ${args.sizeBytes} B small=${reb.smallObjects} × ${reb.smallSizeBytes} B ` +
        `get=${args.objects} × ${reb.getSizeBytes} B c=${args.concurrency} idle=${args.durationMs} ms trigger=${reb.trigger} cpus=${os.cpus().length} node=${process.version}`,
    );
    const cases: RebCase[] = [];
    const large = await throughputCase(ctx, 'large', reb.objects, args.sizeBytes, true);
    cases.push(large.reb);
    if (reb.smallObjects > 0) cases.push((await throughputCase(ctx, 'small', reb.smallObjects, reb.smallSizeBytes, false)).reb);
    const get = large.get!;
    console.log(`\nrebalance throughput (2 → 3 targets) vs cp -r of the moved files:\n${rebCaseTable(cases)}`);
    console.log(`\nGET ${reb.getSizeBytes} B × ${args.concurrency} loops, idle vs during rebalance ${get.reb.rebId} (${get.reb.trigger}, ${(get.reb.elapsedMs / 1000).toFixed(1)} s):\n${rebGetTable(get)}`);
    console.log(`\npeak RSS per target during each rebalance (budget ${REB_RSS_BUDGET_MIB} MiB):\n${rebRssTable([...cases, get.reb])}`);
    for (const n of ctx.notes) console.log(`note: ${n}`);
    if (args.json) {
      const report = { startedAt: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version, platform: `${os.type()} ${os.release()}` }, args, cases, get, notes: ctx.notes };
      await fsp.writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
      log(`wrote ${args.json}`);
    }
    return 0;
  } finally {
    client.close();
    await cleanup.runAll();
  }
}
