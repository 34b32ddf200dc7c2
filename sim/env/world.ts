// One simulated world: the scheduler (virtual time), the trace, the network, and per node a disk and
// an Env. Every random draw comes from a stream derived from the world seed.
import type { Env } from '../../runtime/env/types.ts';
import { inlineWorkers } from '../../runtime/env/real/workers.ts';
import { Trace } from '../trace.ts';
import { SimDisk } from './disk.ts';
import { SimLogSink } from './logger.ts';
import { SimNetwork } from './net.ts';
import { SimRandom } from './random.ts';
import { Scheduler, SimClock, SimTimers, SIM_EPOCH_MS } from './scheduler.ts';

export interface SimWorldOptions {
  verbose?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Each node's realtime clock is skewed by a drift drawn uniformly in ±driftMsMax. */
  driftMsMax?: number;
}

export interface SimNodeEnv extends Env {
  readonly clock: SimClock;
  readonly timers: SimTimers;
  readonly random: SimRandom;
  readonly disk: SimDisk;
}

export class SimWorld {
  readonly trace = new Trace();
  readonly sched = new Scheduler(this.trace);
  readonly net: SimNetwork;
  readonly logs: SimLogSink;
  /** World-level draws (workload, fault choices): independent of the nodes' streams. */
  readonly random: SimRandom;
  readonly #disks = new Map<string, SimDisk>();

  constructor(readonly seed: number, readonly opts: SimWorldOptions = {}) {
    this.net = new SimNetwork({ sched: this.sched, random: SimRandom.stream(seed, 'net') });
    this.random = SimRandom.stream(seed, 'world');
    this.logs = new SimLogSink(() => this.sched.nowMs, opts.verbose ?? false, opts.logLevel ?? 'info');
  }

  /** The disk of `nodeId`, created on first use and kept across restarts of the node. */
  disk(nodeId: string): SimDisk {
    let d = this.#disks.get(nodeId);
    if (!d) {
      // mtimes: drift-free realtime (a disk has no clock of its own)
      d = new SimDisk({ nowMs: () => SIM_EPOCH_MS + this.sched.nowMs });
      this.#disks.set(nodeId, d);
    }
    return d;
  }

  /** A fresh Env for (a start of) node `nodeId`: own PRNG stream, clock drift, timers; its disk. */
  envFor(nodeId: string, incarnation = 0): SimNodeEnv {
    const random = SimRandom.stream(this.seed, incarnation === 0 ? nodeId : `${nodeId}#${incarnation}`);
    const clock = new SimClock(this.sched);
    const driftMax = this.opts.driftMsMax ?? 0;
    if (driftMax > 0) clock.driftMs = SimRandom.stream(this.seed, `drift/${nodeId}`).range(-driftMax, driftMax);
    return {
      nodeId,
      clock,
      timers: new SimTimers(this.sched, nodeId),
      random,
      disk: this.disk(nodeId),
      net: this.net.forNode(nodeId),
      log: this.logs.logger({ node: nodeId }),
      workers: inlineWorkers(),
    };
  }
}
