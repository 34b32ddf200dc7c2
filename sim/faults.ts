// Fault profiles (`--faults none|light|heavy`). Every rate is drawn from the seed ('faults' stream), so
// a seed fixes the plan and every fault it injects. Outages (an isolated or crashed target, or a
// crashed primary) last less than the keepalive removal time (SIM_KEEPALIVE_FACTOR intervals): without
// rebalance, a target that leaves the Smap would strand the objects PUT meanwhile on other targets,
// which is not a bug (yet). A lost mountpath (rare, heavy; `--lost-mountpath` forces it) stays lost.
import type { SimCluster } from './cluster.ts';
import { SimFsError, type SimDiskOp } from './env/disk.ts';
import { SimRandom } from './env/random.ts';
import type { SimEvent } from './env/scheduler.ts';
import { SIM_CLIENT_NODE } from './env/net.ts';

export type FaultProfile = 'none' | 'light' | 'heavy';
export const FAULT_PROFILES: readonly FaultProfile[] = ['none', 'light', 'heavy'];

/** Longest outage of one target (isolation or crash-to-restart): under 2 keepalive intervals. */
export const FAULT_OUTAGE_MS_MAX = 1_500;
export const FAULT_OUTAGE_MS_MIN = 100;
/** Quiet time after an outage before the next one: missed keepalives of back-to-back outages add up. */
export const FAULT_OUTAGE_GAP_MS_MIN = 4_000;
/** A restart that fails on an injected disk error is retried after this long, at most this often. */
export const FAULT_RESTART_RETRY_MS = 500;
export const FAULT_RESTART_ATTEMPTS_MAX = 5;
/** Heavy profile: probability that a run loses a mountpath. */
export const FAULT_LOST_MOUNTPATH_P = 0.05;
/** When the mountpath is lost: uniform in this virtual-ms window after the faults start. */
export const FAULT_LOST_MOUNTPATH_MS_MIN = 500;
export const FAULT_LOST_MOUNTPATH_MS_MAX = 8_000;
/** Forced (`--lost-mountpath`): early, so that short runs see it too. */
export const FAULT_LOST_MOUNTPATH_FORCED_MS_MAX = 1_500;

/** The numeric fields of a plan (what `--override` may set). */
export const FAULT_RATE_NAMES: readonly string[] = ['latencyMsMin', 'latencyMsMax', 'latencyTailP', 'latencyTailMsMax', 'connDropMeanMs', 'outageMeanMs', 'crashP', 'primaryCrashP', 'diskEioP', 'diskEnospcP', 'diskSlowP', 'diskSlowMsMax', 'metaEioP', 'indexEioP', 'lostMountpathAtMs'];

export interface FaultPlan {
  profile: FaultProfile;
  latencyMsMin: number;
  latencyMsMax: number;
  /** Probability that a message takes the tail latency instead. */
  latencyTailP: number;
  latencyTailMsMax: number;
  /** Mean virtual ms between two connection drops (0: none). */
  connDropMeanMs: number;
  /** Mean virtual ms between two target outages (0: none). */
  outageMeanMs: number;
  /** Probability that an outage is a crash (else an isolation). */
  crashP: number;
  /** Probability that an outage is a crash of the primary proxy instead (then restarted; no election). */
  primaryCrashP: number;
  /** Per object-file op: probability of EIO, of ENOSPC (open/write only), of a slow op. */
  diskEioP: number;
  diskEnospcP: number;
  diskSlowP: number;
  diskSlowMsMax: number;
  /** Per metadata-file write op (confdir `.ais.*`: open, write, fsync): probability of EIO. */
  metaEioP: number;
  /** Per KV index write (put, remove, flush): probability of EIO. */
  indexEioP: number;
  /** Virtual ms after start at which one mountpath of one target is lost (undefined: never). */
  lostMountpathAtMs: number | undefined;
  /** Crashes are power losses (unsynced data lost); runs with `Fsync-PUT` on. */
  powerLoss: boolean;
}

/** Draws the plan of `profile` for `seed`; `lostMountpath` forces a lost mountpath early in the run. */
export function drawFaultPlan(seed: number, profile: FaultProfile, powerLoss = false, lostMountpath = false): FaultPlan {
  const rates = drawRates(seed, profile);
  // own stream: the rates above stay what they were for this seed
  const r = SimRandom.stream(seed, 'faults/plan/lost');
  const lose = lostMountpath || (profile === 'heavy' && r.float() < FAULT_LOST_MOUNTPATH_P);
  const lostMountpathAtMs = lose ? r.range(FAULT_LOST_MOUNTPATH_MS_MIN, lostMountpath ? FAULT_LOST_MOUNTPATH_FORCED_MS_MAX : FAULT_LOST_MOUNTPATH_MS_MAX) : undefined;
  return { ...rates, lostMountpathAtMs, powerLoss };
}

function drawRates(seed: number, profile: FaultProfile): Omit<FaultPlan, 'powerLoss' | 'lostMountpathAtMs'> {
  const r = SimRandom.stream(seed, 'faults/plan');
  switch (profile) {
    case 'none':
      return { profile, latencyMsMin: 0.1, latencyMsMax: 1, latencyTailP: 0, latencyTailMsMax: 0, connDropMeanMs: 0, outageMeanMs: 0, crashP: 0, primaryCrashP: 0, diskEioP: 0, diskEnospcP: 0, diskSlowP: 0, diskSlowMsMax: 0, metaEioP: 0, indexEioP: 0 };
    case 'light':
      return {
        profile,
        latencyMsMin: 0.1,
        latencyMsMax: r.range(1, 5),
        latencyTailP: 0,
        latencyTailMsMax: 0,
        connDropMeanMs: r.range(3_000, 10_000),
        outageMeanMs: r.range(10_000, 30_000),
        crashP: r.range(0.2, 0.5),
        diskEioP: r.range(0, 0.002),
        diskEnospcP: r.range(0, 0.001),
        diskSlowP: r.range(0, 0.01),
        diskSlowMsMax: 5,
        primaryCrashP: r.range(0.02, 0.08),
        metaEioP: 0,
        indexEioP: 0,
      };
    case 'heavy':
      return {
        profile,
        latencyMsMin: 0.1,
        latencyMsMax: r.range(2, 10),
        latencyTailP: r.range(0.005, 0.03),
        latencyTailMsMax: 50,
        connDropMeanMs: r.range(500, 3_000),
        outageMeanMs: r.range(2_000, 8_000),
        crashP: r.range(0.3, 0.7),
        diskEioP: r.range(0.002, 0.01),
        diskEnospcP: r.range(0, 0.005),
        diskSlowP: r.range(0.01, 0.05),
        diskSlowMsMax: 30,
        primaryCrashP: r.range(0.1, 0.25),
        metaEioP: r.range(0.001, 0.005),
        indexEioP: r.range(0.0005, 0.002),
      };
  }
}

/** Object data and PUT work files: the random disk faults of the plan. */
function objectPath(path: string): boolean {
  return path.includes('/%ob/') || path.includes('/%wk/');
}

/** A node's persisted metadata (`.ais.smap`, `.ais.bmd`…, and the temp files writeFileAtomic writes first). */
function metadataPath(path: string): boolean {
  return path.includes('/.ais.');
}

export interface FaultStats {
  connDrops: number;
  isolations: number;
  crashes: number;
  primaryCrashes: number;
  diskErrors: number;
  metaErrors: number;
  indexErrors: number;
  diskSlow: number;
  /** A lost mountpath's ops failed (EIO). */
  lostErrors: number;
  /** Restarts that failed on an injected disk error (then retried). */
  failedStarts: number;
}

/**
 * Injects a plan's faults into a running cluster as scheduler events ('fault.*' of node 'world')
 * until heal(). At most one node (a target or the primary) is out at a time.
 */
export class FaultDriver {
  readonly random: SimRandom;
  readonly stats: FaultStats = { connDrops: 0, isolations: 0, crashes: 0, primaryCrashes: 0, diskErrors: 0, metaErrors: 0, indexErrors: 0, diskSlow: 0, lostErrors: 0, failedStarts: 0 };
  /** The mountpath lost so far (target id, mountpath path); it stays lost after heal(). */
  lost: { target: string; mountpath: string } | undefined;
  /** Told when the mountpath is lost (the checker then relaxes exactly for its names). */
  onLost: ((target: string, mountpath: string) => void) | undefined;
  #events = new Set<SimEvent>();
  #active = false;
  /** The node currently isolated or crashed (a target, or the primary). */
  #out: string | undefined;
  /** When the last outage ended. */
  #outEndMs = -Infinity;
  /** Restarts under way (startNode promises), settled by the driver's run loop. */
  readonly restarts = new Set<Promise<void>>();
  /** Nodes whose failed restart is to be retried (heal must not start them a second time). */
  readonly #retrying = new Set<string>();
  /** First error of a restart (a restart that fails is a finding). */
  restartError: Error | undefined;

  readonly #log;

  constructor(readonly c: SimCluster, readonly plan: FaultPlan) {
    this.random = SimRandom.stream(c.seed, 'faults');
    this.#log = c.world.logs.logger({ node: 'world', actor: 'faults' });
  }

  get active(): boolean {
    return this.#active;
  }

  start(): void {
    const p = this.plan;
    const net = this.c.world.net;
    const base = SimRandom.stream(this.c.seed, 'net/latency');
    if (p.profile !== 'none') {
      net.setLatency(() => (p.latencyTailP > 0 && base.float() < p.latencyTailP ? base.range(p.latencyMsMax, p.latencyTailMsMax) : base.range(p.latencyMsMin, p.latencyMsMax)));
    }
    this.#active = true;
    if (p.diskEioP + p.diskEnospcP + p.diskSlowP + p.metaEioP + p.indexEioP > 0) for (const s of this.c.specs) this.#diskFaults(s.id, true);
    if (p.lostMountpathAtMs !== undefined) this.#schedule(p.lostMountpathAtMs, 'fault.lost-mountpath', () => this.#loseMountpath());
    if (p.connDropMeanMs > 0) this.#every(p.connDropMeanMs, 'fault.drop', () => this.#dropConnection());
    if (p.outageMeanMs > 0) this.#every(p.outageMeanMs, 'fault.outage', () => this.#outage());
  }

  /** Stops injecting (a lost mountpath stays lost), heals partitions, restarts a crashed node; resolves when it has restarted. */
  async heal(): Promise<void> {
    this.#active = false;
    for (const ev of this.#events) this.c.world.sched.cancel(ev);
    this.#events.clear();
    this.c.world.net.heal();
    for (const s of this.c.specs) this.c.world.disk(s.id).faults = undefined;
    if (this.lost !== undefined) this.#diskFaults(this.lost.target, false); // a lost mountpath stays lost
    const out = this.#out;
    if (out !== undefined && this.c.crashed.has(out) && !this.#retrying.has(out)) this.#restart(out);
    this.#out = undefined;
    while (this.restarts.size > 0) await this.c.drive(Promise.all([...this.restarts]));
    if (this.restartError) throw this.restartError;
  }

  #schedule(delayMs: number, kind: string, fn: () => void): void {
    const ev: SimEvent = this.c.world.sched.after(delayMs, 'world', kind, () => {
      this.#events.delete(ev);
      if (this.#active) fn();
    });
    this.#events.add(ev);
  }

  /** Exponential inter-arrival times of mean `meanMs`. */
  #every(meanMs: number, kind: string, fn: () => void): void {
    const next = (): void => this.#schedule(-Math.log(1 - this.random.float()) * meanMs, kind, () => {
      fn();
      next();
    });
    next();
  }

  #dropConnection(): void {
    const live = this.c.world.net.liveSockets();
    if (live.length === 0) return;
    const s = live[this.random.int(live.length)]!;
    this.#log.info({ from: s.nodeId, to: s.peer?.nodeId ?? '' }, 'fault: connection dropped');
    s.reset('connection reset (fault)');
    this.stats.connDrops++;
  }

  #outage(): void {
    if (this.#out !== undefined || this.c.nowMs < this.#outEndMs + FAULT_OUTAGE_GAP_MS_MIN) return;
    const targets = this.c.specs.filter((s) => s.role === 'target' && this.c.nodes.has(s.id)).map((s) => s.id);
    if (targets.length === 0) return;
    const primary = this.c.primaryId;
    // The primary only crashes (no isolation: with one proxy there is no election to test yet).
    const hitPrimary = this.c.nodes.has(primary) && this.random.float() < this.plan.primaryCrashP;
    const id = hitPrimary ? primary : targets[this.random.int(targets.length)]!;
    const downMs = this.random.range(FAULT_OUTAGE_MS_MIN, FAULT_OUTAGE_MS_MAX);
    this.#out = id;
    // A target with a lost mountpath is never crashed: it could not start again on a dead disk
    // without mountpath disable (not built yet); isolating it is fine.
    if (hitPrimary || (this.random.float() < this.plan.crashP && this.lost?.target !== id)) {
      this.stats.crashes++;
      if (hitPrimary) this.stats.primaryCrashes++;
      this.#log.info({ target: id, downMs, powerLoss: this.plan.powerLoss }, 'fault: crash');
      this.c.crash(id, { powerLoss: this.plan.powerLoss });
      this.#schedule(downMs, 'fault.restart', () => {
        this.#restart(id);
        this.#out = undefined;
        this.#outEndMs = this.c.nowMs;
      });
    } else {
      this.stats.isolations++;
      this.#log.info({ target: id, downMs }, 'fault: isolated');
      const others = [...this.c.specs.map((s) => s.id).filter((x) => x !== id), SIM_CLIENT_NODE];
      this.c.world.net.partition([id], others);
      this.#schedule(downMs, 'fault.heal', () => {
        this.c.world.net.heal();
        this.#log.info({ target: id }, 'fault: isolation healed');
        this.#out = undefined;
        this.#outEndMs = this.c.nowMs;
      });
    }
  }

  /**
   * Restarts a crashed node. A start that fails on an injected disk error (e.g. persisting its Smap)
   * is retried after a pause, as a service manager restarts a daemon that exited; any other failure,
   * or too many, is a finding (restartError).
   */
  #restart(id: string, attempt = 0): void {
    const p: Promise<void> = this.c.restart(id).then(
      () => void this.restarts.delete(p),
      (e: unknown) => {
        this.restarts.delete(p);
        const err = e instanceof Error ? e : new Error(String(e));
        if (err instanceof SimFsError && attempt < FAULT_RESTART_ATTEMPTS_MAX) {
          this.stats.failedStarts++;
          this.#log.warn({ node: id, attempt, err: err.message }, 'fault: restart failed on a disk error; retrying');
          this.#retrying.add(id);
          const retry = new Promise<void>((resolve) => {
            this.c.world.sched.after(FAULT_RESTART_RETRY_MS, 'world', 'fault.restart', () => {
              this.restarts.delete(retry);
              this.#retrying.delete(id);
              this.#restart(id, attempt + 1);
              resolve();
            });
          });
          this.restarts.add(retry);
          return;
        }
        this.restartError ??= err;
      },
    );
    this.restarts.add(p);
  }

  /** One mountpath of one running target becomes unusable: every op under it fails EIO from now on. */
  #loseMountpath(): void {
    if (this.lost !== undefined) return;
    const targets = this.c.specs.filter((s) => s.role === 'target' && this.c.nodes.has(s.id) && this.#out !== s.id);
    if (targets.length === 0) return;
    const t = targets[this.random.int(targets.length)]!;
    const mps = Object.keys(t.cfg.fspaths ?? {});
    const mp = mps[this.random.int(mps.length)]!;
    this.lost = { target: t.id, mountpath: mp };
    this.#log.warn({ target: t.id, mountpath: mp }, 'fault: mountpath lost');
    this.#diskFaults(t.id, this.#active);
    this.onLost?.(t.id, mp);
  }

  /** Installs the disk fault hook of `id`: the lost mountpath (if on it) and, when `random`, the plan's rates. */
  #diskFaults(id: string, random: boolean): void {
    const p = this.plan;
    const sched = this.c.world.sched;
    const net = this.c.world.net;
    const l = this.lost !== undefined && this.lost.target === id ? this.lost : undefined;
    const lostDir = l === undefined ? '' : `${l.mountpath}/`;
    this.c.world.disk(id).faults = {
      error: (op: SimDiskOp, path: string) => {
        if (l !== undefined && (path.startsWith(lostDir) || path === l.mountpath)) {
          this.stats.lostErrors++;
          return 'EIO';
        }
        if (!random || op === 'dir') return undefined; // no random faults on directory ops
        if (op === 'index') {
          if (p.indexEioP > 0 && this.random.float() < p.indexEioP) {
            this.stats.indexErrors++;
            return 'EIO';
          }
          return undefined;
        }
        if (metadataPath(path) && (op === 'open' || op === 'write' || op === 'sync')) {
          if (p.metaEioP > 0 && this.random.float() < p.metaEioP) {
            this.stats.metaErrors++;
            return 'EIO';
          }
          return undefined;
        }
        if (!objectPath(path) || (op !== 'open' && op !== 'write' && op !== 'read')) return undefined;
        const x = this.random.float();
        if (x < p.diskEioP) {
          this.stats.diskErrors++;
          return 'EIO';
        }
        if (op !== 'read' && x < p.diskEioP + p.diskEnospcP) {
          this.stats.diskErrors++;
          return 'ENOSPC';
        }
        return undefined;
      },
      delay: (op: SimDiskOp, path: string) => {
        if (!random || (op !== 'open' && op !== 'write' && op !== 'read') || !objectPath(path) || this.random.float() >= p.diskSlowP) return undefined;
        this.stats.diskSlow++;
        const inc = net.incarnationOf(id);
        const ms = this.random.range(0, p.diskSlowMsMax);
        // a crashed incarnation's I/O never completes (its memory is gone)
        return new Promise<void>((resolve) => void sched.after(ms, id, 'disk.slow', () => net.alive(id, inc) && resolve()));
      },
    };
  }
}
