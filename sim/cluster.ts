// A whole cluster of REAL nodes (nodes/node.ts startNode) in one process, on one simulated world.
// The driver pops the next event, advances virtual time to it, runs it, then lets the microtask and
// nextTick queues drain (one real setImmediate turn) before the next event: Node's stream internals
// and every await in the nodes settle deterministically in that turn. No real timer reaches a node.
import { setImmediate as macrotask } from 'node:timers/promises';
import { startNode, type NodeHooks, type RunningNode } from '../nodes/node.ts';
import type { NodeConfig } from '../nodes/config.ts';
import type { DaemonType } from '../protocol/smap.ts';
import { Hrw } from '../nodes/cluster/hrw.ts';
import { createCksummer } from '../runtime/cksum/cksum.ts';
import { inlineWorkers } from '../runtime/env/real/workers.ts';
import { CKSUM_TYPES } from '../protocol/apc.ts';
import { SimWorld, type SimNodeEnv, type SimWorldOptions } from './env/world.ts';
import { SimClient } from './client.ts';

export const SIM_HOST = '127.0.0.1';
export const SIM_PORT_BASE = 8080;
/** Intra-control and intra-data ports are the public port plus these (as deploy/local with basePort). */
export const SIM_PORT_CONTROL_OFFSET = 1000;
export const SIM_PORT_DATA_OFFSET = 2000;
export const SIM_KEEPALIVE_INTERVAL_MS = 1000;
export const SIM_KEEPALIVE_FACTOR = 3;
/** Virtual time the cluster gets to form. */
export const SIM_FORM_VIRTUAL_MS_MAX = 60_000;
/** Between two Smap polls while forming. */
export const SIM_FORM_POLL_MS = 100;
/** Default bound of one run() / drive(). */
export const SIM_RUN_VIRTUAL_MS_MAX_DEFAULT = 600_000;
/** Real milliseconds drive() waits on a promise while the scheduler is empty (real async work, e.g. wasm compile). */
export const SIM_IDLE_WAIT_REAL_MS_MAX = 10_000;

export interface SimClusterOptions extends SimWorldOptions {
  proxies?: number;
  targets?: number;
  mountpaths?: number;
  features?: string[];
}

export interface SimNodeSpec {
  id: string;
  role: DaemonType;
  cfg: NodeConfig;
}

export class SimStuckError extends Error {}

let warmed: Promise<void> | undefined;
/**
 * Compiles every wasm module the nodes use (hashers, lz4) before the run: a compile completes on a
 * real background thread at a real time, which must never fall between two simulated events.
 */
export function warmUp(): Promise<void> {
  warmed ??= (async () => {
    await Hrw.create();
    for (const t of CKSUM_TYPES) await createCksummer(t);
    const w = inlineWorkers();
    const lz = await w.compress('lz4', new Uint8Array(64));
    await w.decompress('lz4', lz);
    await w.close();
  })();
  return warmed;
}

export class SimCluster {
  readonly world: SimWorld;
  readonly specs: SimNodeSpec[];
  readonly nodes = new Map<string, RunningNode>();
  readonly envs = new Map<string, SimNodeEnv>();
  /** Nodes crashed and not yet restarted. */
  readonly crashed = new Set<string>();
  /**
   * Nodes that left on the primary's request (membership): `shutdown` (in maintenance, restartable)
   * or `decommissioned` (gone for good). Their graceful stops in flight are in `stopping`.
   */
  readonly departed = new Map<string, 'shutdown' | 'decommissioned'>();
  readonly stopping = new Set<Promise<void>>();
  /** Starts of each node so far minus one (0 for the first start). */
  readonly incarnations = new Map<string, number>();
  readonly client: SimClient;
  readonly proxyUrl: string;
  /** Virtual ms of each restart, per node. */
  readonly #restarts = new Map<string, number[]>();

  private constructor(readonly seed: number, readonly opts: SimClusterOptions) {
    this.world = new SimWorld(seed, opts);
    this.specs = nodeSpecs(opts);
    this.proxyUrl = `http://${SIM_HOST}:${SIM_PORT_BASE}`;
    this.client = new SimClient(this.world.net, this.proxyUrl);
  }

  /** Builds the world, starts every node, and runs until all of them are in the primary's Smap. */
  static async fromSeed(seed: number, opts: SimClusterOptions = {}): Promise<SimCluster> {
    await warmUp();
    const c = new SimCluster(seed, opts);
    for (const s of c.specs) await c.startNode(s.id);
    await c.waitFormed();
    return c;
  }

  get nowMs(): number {
    return this.world.sched.nowMs;
  }

  /** The primary proxy (the node at the primary URL every node is configured with). */
  get primaryId(): string {
    return this.specs[0]!.id;
  }

  /** How many times `id` was restarted after a crash. */
  restartCount(id: string): number {
    return this.#restarts.get(id)?.length ?? 0;
  }

  /** Whether `id` restarted at or after virtual `ms`. */
  restartedSince(id: string, ms: number): boolean {
    return (this.#restarts.get(id) ?? []).some((t) => t >= ms);
  }

  get traceHash(): string {
    return this.world.trace.digest();
  }

  async startNode(id: string): Promise<void> {
    const spec = this.specs.find((s) => s.id === id);
    if (!spec) throw new Error(`no node ${id}`);
    if (this.nodes.has(id)) throw new Error(`node ${id} is running`);
    this.world.devices(id, Object.keys(spec.cfg.fspaths ?? {}));
    const env = this.world.envFor(id, this.incarnations.get(id) ?? 0);
    this.envs.set(id, env);
    const node = await this.drive(startNode(env, spec.cfg, spec.role, id, this.#hooks(id)));
    this.nodes.set(id, node);
  }

  /**
   * Starts one more target (the next free port, the cluster's mountpath count) that joins the running
   * cluster, as a new machine would; returns its id. Its join is the nodes' business: callers wait
   * for it (waitFormed) or check how the cluster handles it.
   */
  async addTarget(): Promise<string> {
    const spec = this.#newTargetSpec();
    await this.startNode(spec.id);
    return spec.id;
  }

  /**
   * A new target that joins, started from inside a run (the membership driver): like restart(), it
   * does not drive the scheduler; the run in progress settles it.
   */
  async addTargetInRun(): Promise<string> {
    const spec = this.#newTargetSpec();
    this.crashed.add(spec.id); // a node that is down, about to start for the first time
    await this.restart(spec.id);
    return spec.id;
  }

  #newTargetSpec(): SimNodeSpec {
    const spec = nodeSpec(this.specs.length, 'target', this.opts);
    if (this.specs.some((s) => s.id === spec.id)) throw new Error(`node ${spec.id} exists`);
    this.specs.push(spec);
    this.world.devices(spec.id, Object.keys(spec.cfg.fspaths ?? {}));
    return spec;
  }

  /**
   * Process crash of `id`: its timers are cancelled, its sockets reset, its handlers gone, and no
   * event reaches its memory any more. The disk is kept with everything written (a process crash
   * keeps the page cache). With `powerLoss` the disk keeps only what was synced/flushed.
   */
  crash(id: string, opts: { powerLoss?: boolean } = {}): void {
    const env = this.envs.get(id);
    if (!env || !this.nodes.has(id)) throw new Error(`node ${id} is not running`);
    env.timers.kill();
    this.world.net.crash(id);
    // power loss: what was not synced (files) or flushed (KV indexes) is gone
    if (opts.powerLoss) this.world.disk(id).powerLoss();
    this.nodes.delete(id);
    this.envs.delete(id);
    this.crashed.add(id);
  }

  /**
   * Starts a crashed node again on its disk (a new incarnation: new PRNG stream, new timers). Does not
   * drive the scheduler: callers inside a run let the run settle it, others pass it to drive().
   */
  async restart(id: string): Promise<void> {
    const spec = this.specs.find((s) => s.id === id);
    if (!spec || !this.crashed.has(id)) throw new Error(`node ${id} is not crashed`);
    const inc = this.world.net.incarnationOf(id);
    this.incarnations.set(id, inc);
    this.crashed.delete(id);
    this.#restarts.set(id, [...(this.#restarts.get(id) ?? []), this.nowMs]);
    const env = this.world.envFor(id, inc);
    this.envs.set(id, env);
    let node: RunningNode;
    try {
      node = await startNode(env, spec.cfg, spec.role, id, this.#hooks(id));
    } catch (e) {
      // a start that fails is a process that exits: nothing of it keeps running; it is down again
      if (this.world.net.alive(id, inc)) {
        env.timers.kill();
        this.world.net.crash(id);
        this.envs.delete(id);
        this.crashed.add(id);
      }
      throw e;
    }
    if (this.world.net.alive(id, inc)) this.nodes.set(id, node);
  }

  /** The nodes that belong to the cluster: every spec but the decommissioned ones. */
  members(): SimNodeSpec[] {
    return this.specs.filter((s) => this.departed.get(s.id) !== 'decommissioned');
  }

  /** A node the primary asked to go (shutdown-node, decommission) stops gracefully, as its process would. */
  #hooks(id: string): NodeHooks {
    return {
      onShutdown: (req) => {
        const node = this.nodes.get(id);
        if (!node) return;
        this.departed.set(id, req.decommission ? 'decommissioned' : 'shutdown');
        this.nodes.delete(id);
        const env = this.envs.get(id);
        const p: Promise<void> = node
          .stop()
          .catch((e: unknown) => this.world.logs.logger({ node: id }).warn({ err: String(e) }, 'sim: graceful stop failed'))
          .then(async () => {
            env?.timers.kill();
            this.world.net.crash(id); // nothing of the old process may answer any more
            this.envs.delete(id);
            await env?.workers.close();
          })
          .finally(() => this.stopping.delete(p));
        this.stopping.add(p);
      },
    };
  }

  /** Starts a node that was shut down in maintenance again (it re-joins, still in maintenance). */
  async restartDeparted(id: string): Promise<void> {
    if (this.departed.get(id) !== 'shutdown') throw new Error(`node ${id} was not shut down`);
    await Promise.all(this.stopping);
    this.departed.delete(id);
    this.crashed.add(id);
    await this.restart(id);
  }

  /** Polls the primary's Smap until every proxy and target is in it. */
  async waitFormed(virtualMsMax = SIM_FORM_VIRTUAL_MS_MAX): Promise<void> {
    const deadline = this.nowMs + virtualMsMax;
    const nP = this.specs.filter((s) => s.role === 'proxy').length;
    const nT = this.specs.length - nP;
    let last = '';
    while (this.nowMs < deadline) {
      try {
        const smap = await this.drive(this.client.smap());
        if (Object.keys(smap.pmap).length === nP && Object.keys(smap.tmap).length === nT) return;
        last = `smap v${smap.version}: ${Object.keys(smap.pmap).length} proxies, ${Object.keys(smap.tmap).length} targets`;
      } catch (e) {
        last = (e as Error).message;
      }
      await this.runFor(SIM_FORM_POLL_MS);
    }
    throw new SimStuckError(`seed ${this.seed}: cluster did not form in ${virtualMsMax} virtual ms (last: ${last})`);
  }

  /**
   * Runs events until `until()` holds (checked after each event settles), the scheduler is idle, or
   * `virtualMsMax` passes. Returns whether `until()` held.
   */
  async run(until: () => boolean, opts: { virtualMsMax?: number; ticksMax?: number } = {}): Promise<boolean> {
    const sched = this.world.sched;
    const deadline = sched.nowMs + (opts.virtualMsMax ?? SIM_RUN_VIRTUAL_MS_MAX_DEFAULT);
    const ticksEnd = sched.ticks + (opts.ticksMax ?? Infinity);
    await macrotask();
    while (!until()) {
      const next = sched.peekMs();
      if (next === undefined || next > deadline || sched.ticks >= ticksEnd) return until();
      sched.step();
      await macrotask();
    }
    return true;
  }

  /** Runs `ms` of virtual time (every event due in it). */
  async runFor(ms: number): Promise<void> {
    const sched = this.world.sched;
    const end = sched.nowMs + ms;
    // a no-op event at `end` moves virtual time there even if the last real event comes earlier
    let reached = false;
    sched.at(end, 'world', 'tick', () => (reached = true));
    await this.run(() => reached, { virtualMsMax: ms });
  }

  /** Runs the scheduler until `p` settles; its value or error. */
  async drive<T>(p: Promise<T>, virtualMsMax = SIM_RUN_VIRTUAL_MS_MAX_DEFAULT): Promise<T> {
    let done = false;
    const watched = p.finally(() => {
      done = true;
    });
    watched.catch(() => {}); // observed below
    const deadline = this.nowMs + virtualMsMax;
    while (!done) {
      const ok = await this.run(() => done, { virtualMsMax: Math.max(0, deadline - this.nowMs) });
      if (ok) break;
      if (this.world.sched.peekMs() !== undefined) throw new SimStuckError(`seed ${this.seed}: operation not done in ${virtualMsMax} virtual ms`);
      // Idle scheduler: only real async work (none expected after warmUp) can settle it.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<'stuck'>((r) => (timer = setTimeout(() => r('stuck'), SIM_IDLE_WAIT_REAL_MS_MAX)));
      const r = await Promise.race([watched.then(() => 'ok' as const, () => 'ok' as const), stuck]);
      clearTimeout(timer);
      if (r === 'stuck') throw new SimStuckError(`seed ${this.seed}: operation waits on nothing (scheduler idle)`);
    }
    return p;
  }

  /**
   * Stops every node (targets first) and closes their workers; a node whose stop fails does not keep
   * the others running. `tolerate(id, err)`: a stop error that is expected (e.g. a lost mountpath)
   * is not rethrown. Throws the first other error, after every node was stopped.
   */
  async stop(tolerate?: (id: string, err: unknown) => boolean): Promise<void> {
    const order = [...this.nodes.values()].sort((a, b) => (a.role === b.role ? 0 : a.role === 'target' ? -1 : 1));
    let first: unknown;
    for (const n of order) {
      try {
        await this.drive(n.stop(), SIM_RUN_VIRTUAL_MS_MAX_DEFAULT);
      } catch (e) {
        if (!tolerate?.(n.id, e)) first ??= e;
      }
      await this.envs.get(n.id)?.workers.close();
      this.nodes.delete(n.id);
    }
    if (first !== undefined) throw first;
  }
}

/** Node configs as deploy/local/cluster.ts writes them (basePort scheme), paths inside the sim disk. */
export function nodeSpecs(opts: SimClusterOptions): SimNodeSpec[] {
  const nP = opts.proxies ?? 1;
  const nT = opts.targets ?? 3;
  const out: SimNodeSpec[] = [];
  for (let i = 0; i < nP + nT; i++) out.push(nodeSpec(i, i < nP ? 'proxy' : 'target', opts));
  return out;
}

/** The spec of the `i`-th node (its port is SIM_PORT_BASE + i; node 0 is the primary). */
export function nodeSpec(i: number, role: DaemonType, opts: SimClusterOptions): SimNodeSpec {
  const nM = opts.mountpaths ?? 2;
  const primaryUrl = `http://${SIM_HOST}:${SIM_PORT_BASE}`;
  const port = SIM_PORT_BASE + i;
  const id = `${role === 'proxy' ? 'p' : 't'}${port}`;
  const dir = `/sim/${id}`;
  const fspaths: Record<string, string> = {};
  if (role === 'target') for (let m = 1; m <= nM; m++) fspaths[`${dir}/mp${m}`] = '';
  const cfg: NodeConfig = {
    daemon_id: id,
    confdir: `${dir}/conf`,
    host_net: { hostname: SIM_HOST, port, port_intra_control: port + SIM_PORT_CONTROL_OFFSET, port_intra_data: port + SIM_PORT_DATA_OFFSET },
    ...(role === 'target' ? { fspaths } : {}),
    proxy: { primary_url: primaryUrl },
    ...(opts.features?.length ? { features: opts.features.join(',') } : {}),
    keepalive: { interval_ms: SIM_KEEPALIVE_INTERVAL_MS, factor: SIM_KEEPALIVE_FACTOR },
  };
  return { id, role, cfg };
}
