// A node's side of live inspection: its snapshot (supervisor tree, jobs, recent transitions) and the
// push of its bus events, batched, to every proxy that subscribed over intra-control (for a lease,
// renewed by the proxy while browsers watch) and to in-process listeners (the proxy's own hub).
import type { InspectBus, Published } from '../../runtime/actor/bus.ts';
import type { Supervisor } from '../../runtime/actor/supervisor.ts';
import type { MsgEndpoint } from '../../runtime/transport/types.ts';
import type { Env, TimerHandle } from '../../runtime/env/types.ts';
import type { JobRegistry } from '../../actors/xact/registry.ts';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { EventBatcher } from './inspect-batcher.ts';
import { InspectMsg, type InspectBatch, type InspectJob, type InspectSubBody, type NodeInspectSnapshot } from './inspect-types.ts';

/** Transitions in a snapshot (the most recent ones). */
export const INSPECT_TRANSITIONS_MAX = 100;
/** Jobs in a snapshot or batch (running first, then the most recent finished). */
export const INSPECT_JOBS_MAX = 50;
/** A subscription lapses unless renewed within this time (a proxy that went away stops costing). */
export const INSPECT_SUB_LEASE_MS = 10_000;
/** Proxies subscribed at once. */
export const INSPECT_SUBSCRIBERS_MAX = 16;

const CHANNELS = ['actor.started', 'actor.transition', 'actor.exited'] as const;

export interface NodeInspectorDeps {
  env: Env;
  nodeId: string;
  role: string;
  bus: InspectBus;
  root: Supervisor;
  jobs: JobRegistry;
  ctrl: MsgEndpoint;
}

export class NodeInspector {
  readonly #d: NodeInspectorDeps;
  /** Subscribed proxy intra-control URL → lease expiry (monotonic ms). */
  readonly #subs = new Map<string, number>();
  readonly #local = new Set<(batch: InspectBatch) => void>();
  readonly #batcher: EventBatcher<Published>;
  #unsubscribe: (() => void)[] = [];
  #leaseTimer: TimerHandle | undefined;

  constructor(deps: NodeInspectorDeps) {
    this.#d = deps;
    this.#batcher = new EventBatcher<Published>({ timers: deps.env.timers, flush: (events, dropped) => this.#flush(events, dropped) });
  }

  /** Registers the intra-control handlers (once per endpoint). */
  register(): void {
    const { ctrl } = this.#d;
    ctrl.handle(InspectMsg.snap, async () => this.snapshot());
    ctrl.handle(InspectMsg.sub, async (b) => {
      const url = (b as Partial<InspectSubBody> | undefined)?.url;
      if (typeof url !== 'string' || url === '') throw new ErrInvalidArgument('inspect.sub: "url" is required');
      this.#subscribe(url);
      return { node: this.#d.nodeId, leaseMs: INSPECT_SUB_LEASE_MS };
    });
  }

  /** In-process listener (the proxy hub for its own node); returns the unsubscribe function. */
  listen(cb: (batch: InspectBatch) => void): () => void {
    this.#local.add(cb);
    this.#ensureBusSubscribed();
    return () => {
      this.#local.delete(cb);
      this.#maybeIdle();
    };
  }

  snapshot(): NodeInspectSnapshot {
    const { root, bus, nodeId, role } = this.#d;
    const all = bus.history();
    return {
      node: nodeId,
      role,
      tree: { id: 'root', path: root.path, restart: 'permanent', status: 'running', restarts: 0, children: root.children() },
      jobs: this.jobs(),
      transitions: all.slice(-INSPECT_TRANSITIONS_MAX),
    };
  }

  jobs(): InspectJob[] {
    const { jobs, nodeId } = this.#d;
    const snaps = jobs.snaps();
    const running = snaps.filter((s) => s.state !== 'finished' && s.state !== 'aborted');
    const done = snaps.filter((s) => s.state === 'finished' || s.state === 'aborted').reverse();
    return [...running, ...done].slice(0, INSPECT_JOBS_MAX).map((s) => ({
      ...s,
      node: nodeId,
      path: `${this.#d.root.path}/jobs/${s.kind}-${s.id}`,
      machine: 'job',
    }));
  }

  close(): void {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.#batcher.close();
    this.#subs.clear();
    this.#local.clear();
    if (this.#leaseTimer !== undefined) this.#d.env.timers.clearInterval(this.#leaseTimer);
    this.#leaseTimer = undefined;
  }

  #subscribe(url: string): void {
    const until = this.#d.env.clock.monotonicMs() + INSPECT_SUB_LEASE_MS;
    if (!this.#subs.has(url) && this.#subs.size >= INSPECT_SUBSCRIBERS_MAX) {
      throw new ErrInvalidArgument(`inspect.sub: at most ${INSPECT_SUBSCRIBERS_MAX} subscribers`);
    }
    this.#subs.set(url, until);
    this.#ensureBusSubscribed();
    this.#leaseTimer ??= this.#d.env.timers.setInterval(() => this.#expire(), INSPECT_SUB_LEASE_MS);
  }

  #expire(): void {
    const now = this.#d.env.clock.monotonicMs();
    for (const [url, until] of this.#subs) if (until <= now) this.#subs.delete(url);
    if (this.#subs.size === 0 && this.#leaseTimer !== undefined) {
      this.#d.env.timers.clearInterval(this.#leaseTimer);
      this.#leaseTimer = undefined;
    }
    this.#maybeIdle();
  }

  #ensureBusSubscribed(): void {
    if (this.#unsubscribe.length > 0) return;
    this.#unsubscribe = CHANNELS.map((c) => this.#d.bus.subscribe(c, (ev) => this.#batcher.push(ev)));
  }

  /** Nobody listens: stop collecting (the bus keeps its own history for the next snapshot). */
  #maybeIdle(): void {
    if (this.#subs.size > 0 || this.#local.size > 0) return;
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
  }

  #flush(events: Published[], dropped: number): void {
    const jobsPrefix = `${this.#d.root.path}/jobs/`;
    const touchesJobs = events.some((e) => e.path.startsWith(jobsPrefix));
    const batch: InspectBatch = { node: this.#d.nodeId, events, dropped, ...(touchesJobs && { jobs: this.jobs() }) };
    for (const cb of this.#local) {
      try {
        cb(batch);
      } catch (err) {
        this.#d.env.log.warn({ err }, 'inspect listener threw');
      }
    }
    for (const url of this.#subs.keys()) this.#d.ctrl.notify(url, InspectMsg.ev, batch);
  }
}
