// One simulation run (what `npm run sim` and the tests call): form the cluster, create a bucket, run
// the workload, stop the nodes. Returns the trace hash and the speed, or the failure with its seed.
import { SimCluster, type SimClusterOptions } from './cluster.ts';
import { runWorkload, type WorkloadStats } from './workload.ts';

export const SIM_BUCKET = 'simbck';

export interface SimRunOptions extends SimClusterOptions {
  steps: number;
  /** Think time between workload batches, drawn in [0, max) virtual ms (0: back to back). */
  pauseMsMax?: number;
}

export interface SimRunResult {
  seed: number;
  ok: boolean;
  error?: Error;
  traceHash: string;
  events: number;
  virtualMs: number;
  wallMs: number;
  stats?: WorkloadStats;
  /** Last log lines of the world (for a failure report). */
  logTail: string[];
}

export async function runSeed(seed: number, opts: SimRunOptions): Promise<SimRunResult> {
  const wall0 = performance.now();
  let c: SimCluster | undefined;
  let stats: WorkloadStats | undefined;
  let error: Error | undefined;
  try {
    c = await SimCluster.fromSeed(seed, opts);
    const r = await c.drive(c.client.createBucket(SIM_BUCKET));
    if (r.status !== 200) throw new Error(`create bucket: ${r.status} ${r.text()}`);
    stats = await runWorkload(c, { steps: opts.steps, bucket: SIM_BUCKET, pauseMsMax: opts.pauseMsMax });
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  const virtualMs = c?.nowMs ?? 0;
  const traceHash = c?.traceHash ?? '';
  const events = c?.world.trace.count ?? 0;
  try {
    await c?.stop();
  } catch (e) {
    error ??= e instanceof Error ? e : new Error(String(e));
  }
  return {
    seed,
    ok: error === undefined,
    error,
    traceHash,
    events,
    virtualMs,
    wallMs: performance.now() - wall0,
    stats,
    logTail: c?.world.logs.ring.slice(-50) ?? [],
  };
}

export function replayCommand(seed: number, opts: SimRunOptions): string {
  return `npm run sim -- --seed ${seed} --steps ${opts.steps} --proxies ${opts.proxies ?? 1} --targets ${opts.targets ?? 3} --mountpaths ${opts.mountpaths ?? 2}${opts.pauseMsMax !== undefined ? ` --pause-ms ${opts.pauseMsMax}` : ''}`;
}
