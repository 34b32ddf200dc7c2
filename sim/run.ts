// One simulation run (what `npm run sim` and the tests call), the VOPR shape:
// 1. safety phase: form the cluster, create a bucket, run the workload with the seed's faults,
//    checking invariants as it goes;
// 2. heal: stop injecting, unpartition, restart crashed targets;
// 3. liveness: the cluster must converge (every node back, one Smap/BMD everywhere) within a
//    virtual-time bound, then every acknowledged PUT reads back, the listing is exact, no work file
//    is left.
import { SimCluster, type SimClusterOptions } from './cluster.ts';
import { drawFaultPlan, FaultDriver, type FaultPlan, type FaultProfile, type FaultStats } from './faults.ts';
import { InvariantChecker, SimInvariantError } from './invariants.ts';
import { JobTracker, type JobStats } from './jobs.ts';
import { SimPlacement } from './placement.ts';
import { Workload, WORKLOAD_REQUEST_TIMEOUT_MS, type WorkloadStats } from './workload.ts';
import { MembershipDriver, type MembershipStats } from './membership.ts';
import { checkPlacement, finalRebalance } from './settle.ts';
import { GetBatchTracker, type GetBatchStats } from './get-batch.ts';

export const SIM_BUCKET = 'simbck';
/** Virtual time the healed cluster gets to converge. */
export const SIM_CONVERGE_VIRTUAL_MS_MAX = 60_000;
/** Between two convergence polls. */
export const SIM_CONVERGE_POLL_MS = 500;

export interface SimRunOptions extends SimClusterOptions {
  steps: number;
  /** Think time between workload batches, drawn in [0, max) virtual ms (0: back to back). */
  pauseMsMax?: number;
  faults?: FaultProfile;
  /** Crashes lose unsynced data (power loss); the cluster runs with `Fsync-PUT` so acknowledged PUTs are synced. */
  powerLoss?: boolean;
  /** Copy jobs (copy-bck) now and then in the workload; default on. */
  jobs?: boolean;
  /** Membership changes (join, maintenance, shutdown, decommission) during the workload; default on. */
  membership?: boolean;
  /** GetBatch (x-moss) requests between workload batches, checked item by item; default off (`--get-batch`). */
  getBatch?: boolean;
  /** Force the lost-mountpath fault (else only heavy runs draw it, rarely). */
  lostMountpath?: boolean;
  /** Replace rates of the drawn plan (tests that need a fault to happen, e.g. `primaryCrashP: 1`). */
  faultOverrides?: Partial<Omit<FaultPlan, 'profile'>>;
}

/** What a lost mountpath took: the checker relaxed exactly for `names` (workload bucket). */
export interface SimLostSummary {
  target: string;
  mountpath: string;
  atMs: number;
  names: string[];
  /** Names of the workload on the same target's other mountpaths (checked as usual: still served). */
  sameTargetNames: number;
  /** Lost names that still read back at quiescence (0: the relaxation was exact). */
  lostReadable: number;
}

export interface SimRunResult {
  seed: number;
  ok: boolean;
  error?: Error;
  traceHash: string;
  events: number;
  virtualMs: number;
  wallMs: number;
  /** CPU time of this process (user + system) during the run: the speed measure that a loaded machine does not skew. */
  cpuMs: number;
  stats?: WorkloadStats;
  faults?: FaultStats;
  jobs?: JobStats;
  membership?: MembershipStats;
  getBatch?: GetBatchStats;
  /** A node left the Smap during the run (placement checks were relaxed). */
  membershipChanged: boolean;
  /** A mountpath was lost during the run (its names' checks were relaxed). */
  lost?: SimLostSummary;
  /** Node views (Smap+BMD) the invariant checker sampled. */
  invariantSamples: number;
  /** Last log lines of the world (for a failure report). */
  logTail: string[];
}

export async function runSeed(seed: number, opts: SimRunOptions): Promise<SimRunResult> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const profile = opts.faults ?? 'none';
  let c: SimCluster | undefined;
  let w: Workload | undefined;
  let inv: InvariantChecker | undefined;
  let driver: FaultDriver | undefined;
  let jobs: JobTracker | undefined;
  let members: MembershipDriver | undefined;
  let gb: GetBatchTracker | undefined;
  let error: Error | undefined;
  try {
    c = await SimCluster.fromSeed(seed, opts.powerLoss ? { ...opts, features: [...(opts.features ?? []), 'Fsync-PUT'] } : opts);
    const r = await c.drive(c.client.createBucket(SIM_BUCKET));
    if (r.status !== 200) throw new Error(`create bucket: ${r.status} ${r.text()}`);
    inv = new InvariantChecker(c);
    inv.formedSmapVersion = Number((await c.drive(c.client.smap())).version);
    w = new Workload(c, inv, SIM_BUCKET);
    if (opts.jobs ?? true) w.jobs = jobs = new JobTracker(c, inv, SIM_BUCKET);
    if (opts.membership ?? true) {
      inv.plannedMembership = true;
      members = new MembershipDriver(c);
    }
    if (opts.getBatch) {
      w.getBatch = gb = new GetBatchTracker(c, inv, w);
      await gb.setup();
      const m = members;
      const cl = c;
      gb.membershipBusy = () => m?.busy ?? false;
      gb.outage = () => cl.crashed.size > 0;
    }
    const faulty = profile !== 'none';
    if (faulty || opts.lostMountpath || opts.faultOverrides) {
      c.client.timeoutMs = WORKLOAD_REQUEST_TIMEOUT_MS;
      driver = new FaultDriver(c, { ...drawFaultPlan(seed, profile, opts.powerLoss ?? false, opts.lostMountpath ?? false), ...opts.faultOverrides });
      w.failedPutMayDelete = driver.plan.indexEioP > 0;
      const placement = await SimPlacement.create(c.specs);
      const checker = inv;
      const m = members;
      driver.onLost = (target, mountpath) => {
        checker.markLost(target, mountpath, placement);
        m?.disableLost(target, mountpath);
      };
      driver.start();
    }
    members?.start();
    await w.run(opts.steps, { faulty, pauseMsMax: opts.pauseMsMax });
    if (driver) await driver.heal();
    await members?.heal();
    const deadline = c.nowMs + SIM_CONVERGE_VIRTUAL_MS_MAX;
    for (;;) {
      if (await c.drive(inv.converged(), SIM_CONVERGE_VIRTUAL_MS_MAX)) break;
      if (c.nowMs >= deadline) throw new SimInvariantError(`seed ${seed}: cluster did not converge within ${SIM_CONVERGE_VIRTUAL_MS_MAX} virtual ms after healing`);
      await c.runFor(SIM_CONVERGE_POLL_MS);
    }
    if (members) {
      // As an admin would after failures: one clean rebalance, then every object is at its owner.
      await finalRebalance(c, inv);
      await checkPlacement(c, inv, w);
    }
    await jobs?.quiescenceCheck();
    await w.quiescenceCheck();
    await gb?.quiescenceCheck();
    inv.checkNoWorkFiles();
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  const virtualMs = c?.nowMs ?? 0;
  const traceHash = c?.traceHash ?? '';
  const events = c?.world.trace.count ?? 0;
  try {
    // a target whose mountpath is lost may fail to flush it on the way down (EIO): expected
    const lost = inv?.lost;
    await c?.stop((id, e) => lost !== undefined && id === lost.target && (e as { code?: unknown }).code === 'EIO');
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
    cpuMs: cpuMsSince(cpu0),
    stats: w?.stats,
    faults: driver?.stats,
    jobs: jobs?.stats,
    membership: members?.stats,
    getBatch: gb?.stats,
    membershipChanged: inv?.membershipChanged ?? false,
    lost: inv?.lost && w ? lostSummary(inv, w) : undefined,
    invariantSamples: inv?.samples ?? 0,
    logTail: c?.world.logs.ring.slice(-50) ?? [],
  };
}

function lostSummary(inv: InvariantChecker, w: Workload): SimLostSummary {
  const l = inv.lost!;
  const sameTarget = [...w.model.keys()].filter((n) => {
    const p = inv.placement!.locate(SIM_BUCKET, n);
    return p.target === l.target && p.mountpath !== l.mountpath;
  });
  return { ...l, names: w.lostNames(), sameTargetNames: sameTarget.length, lostReadable: w.lostReadable };
}

export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

export function replayCommand(seed: number, opts: SimRunOptions): string {
  return `npm run sim -- --seed ${seed} --steps ${opts.steps} --proxies ${opts.proxies ?? 1} --targets ${opts.targets ?? 3} --mountpaths ${opts.mountpaths ?? 2} --faults ${opts.faults ?? 'none'}${opts.powerLoss ? ' --power-loss' : ''}${opts.pauseMsMax !== undefined ? ` --pause-ms ${opts.pauseMsMax}` : ''}${opts.jobs === false ? ' --no-jobs' : ''}${opts.membership === false ? ' --no-membership' : ''}${opts.lostMountpath ? ' --lost-mountpath' : ''}${opts.getBatch ? ' --get-batch' : ''}${opts.ioTime === false ? ' --no-io-time' : ''}${opts.faultOverrides ? ` --override ${Object.entries(opts.faultOverrides).map(([k, v]) => `${k}=${v}`).join(',')}` : ''}`;
}
