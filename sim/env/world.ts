// One simulated world: the scheduler (virtual time), the trace, the network, and per node a disk and
// an Env. Every random draw comes from a stream derived from the world seed.
import type { Env } from '../../runtime/env/types.ts';
import { inlineWorkers } from '../../runtime/env/real/workers.ts';
import { Trace } from '../trace.ts';
import { SimDisk } from './disk.ts';
import { drawIoModel, SimDevices, SimNodeDisk, type SimIoModel } from './iotime.ts';
import { SimLogSink } from './logger.ts';
import { SimNetwork } from './net.ts';
import { SimRandom } from './random.ts';
import { Scheduler, SimClock, SimTimers, SIM_EPOCH_MS } from './scheduler.ts';

export interface SimWorldOptions {
  verbose?: boolean;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Each node's realtime clock is skewed by a drift drawn uniformly in ±driftMsMax. */
  driftMsMax?: number;
  /** Disk ops and network transfers take virtual time (sim/env/iotime.ts); default on. Off: they take none (only latency). */
  ioTime?: boolean;
}

export interface SimNodeEnv extends Env {
  readonly clock: SimClock;
  readonly timers: SimTimers;
  readonly random: SimRandom;
  /** Timed view of the node's SimDisk (`disk.raw`), bound to this incarnation. */
  readonly disk: SimNodeDisk;
}

export class SimWorld {
  readonly trace = new Trace();
  readonly sched = new Scheduler(this.trace);
  readonly net: SimNetwork;
  readonly logs: SimLogSink;
  /** World-level draws (workload, fault choices): independent of the nodes' streams. */
  readonly random: SimRandom;
  readonly #disks = new Map<string, SimDisk>();
  readonly #devices = new Map<string, SimDevices>();
  /** Disk and network speeds of this world (drawn from the seed). */
  readonly io: SimIoModel;

  constructor(readonly seed: number, readonly opts: SimWorldOptions = {}) {
    this.io = drawIoModel(seed);
    if (opts.ioTime === false) this.io = { diskOpMsMin: 0, diskOpMsMax: 0, diskBytesPerMs: Infinity, netBytesPerMs: Infinity };
    this.net = new SimNetwork({ sched: this.sched, random: SimRandom.stream(seed, 'net'), bytesPerMs: this.io.netBytesPerMs });
    this.random = SimRandom.stream(seed, 'world');
    this.logs = new SimLogSink(() => this.sched.nowMs, opts.verbose ?? false, opts.logLevel ?? (process.env.SIM_LOG_LEVEL as 'debug' | undefined) ?? 'info');
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

  /** The devices (I/O queues) of `nodeId`'s disk: one per root in `roots` (mountpaths), one for the rest. */
  devices(nodeId: string, roots?: readonly string[]): SimDevices {
    let d = this.#devices.get(nodeId);
    if (!d) {
      d = new SimDevices(this.sched, nodeId, this.io, this.seed);
      this.#devices.set(nodeId, d);
    }
    if (roots !== undefined) d.setRoots(roots);
    return d;
  }

  /** A fresh Env for (a start of) node `nodeId`: own PRNG stream, clock drift, timers; its disk. */
  envFor(nodeId: string, incarnation = 0): SimNodeEnv {
    const netInc = this.net.incarnationOf(nodeId);
    const random = SimRandom.stream(this.seed, incarnation === 0 ? nodeId : `${nodeId}#${incarnation}`);
    const clock = new SimClock(this.sched);
    const driftMax = this.opts.driftMsMax ?? 0;
    if (driftMax > 0) clock.driftMs = SimRandom.stream(this.seed, `drift/${nodeId}`).range(-driftMax, driftMax);
    return {
      nodeId,
      clock,
      timers: new SimTimers(this.sched, nodeId),
      random,
      disk: new SimNodeDisk(this.disk(nodeId), this.devices(nodeId), () => this.net.alive(nodeId, netInc)),
      net: this.net.forNode(nodeId),
      log: this.logs.logger({ node: nodeId }),
      workers: inlineWorkers(),
    };
  }
}
