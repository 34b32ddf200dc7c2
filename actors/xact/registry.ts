// Per-node job registry (AIS xreg, minus renewal): starts one MachineActor per job under the node's
// `jobs` supervisor (restart 'temporary': a job that failed is reported, not re-run), answers
// snapshots of running jobs, and keeps the last snapshots of finished ones, bounded.
import type { Env } from '../../runtime/env/types.ts';
import { MachineActor, type Supervisor } from '../../runtime/actor/index.ts';
import { ErrConflict, ErrNotReady } from '../../protocol/errors.ts';
import type { BckRefWire } from '../../protocol/intra.ts';
import { statsOf, timeOf, type Snap } from '../../protocol/xact.ts';
import { jobMachine, type JobMachine, type JobWork } from './machine.ts';

/** Finished jobs whose last snapshot is kept (oldest dropped first). */
export const JOBS_FINISHED_MAX = 256;

export interface JobStart {
  id: string;
  kind: string;
  bck?: BckRefWire;
  work: JobWork;
  /** Called once with the final snapshot (finished or aborted). */
  onFinal?: (snap: Snap) => void;
}

export interface SnapFilter {
  id?: string;
  kind?: string;
  bck?: BckRefWire;
  onlyRunning?: boolean;
}

interface Live {
  readonly start: JobStart;
  readonly startMs: number;
  actor: MachineActor<JobMachine> | undefined;
}

export class JobRegistry {
  readonly #env: Env;
  #sup: Supervisor | undefined;
  readonly #live = new Map<string, Live>();
  /** Insertion-ordered: the oldest finished job is first. */
  readonly #done = new Map<string, Snap>();

  constructor(env: Env) {
    this.#env = env;
  }

  #attached: (() => void) | undefined;
  readonly #whenAttached = new Promise<void>((resolve) => (this.#attached = resolve));

  /** The node's `jobs` supervisor; attached again whenever it restarts. */
  attach(sup: Supervisor): void {
    this.#sup = sup;
    this.#attached?.();
  }

  /** Resolves once a job supervisor is attached (jobs triggered while the node is still starting). */
  whenAttached(): Promise<void> {
    return this.#whenAttached;
  }

  async start(js: JobStart): Promise<void> {
    const sup = this.#sup;
    if (sup === undefined) throw new ErrNotReady('job supervisor is not running');
    if (this.#live.has(js.id) || this.#done.has(js.id)) throw new ErrConflict(`job ${js.kind}[${js.id}] already exists`);
    const live: Live = { start: js, startMs: this.#env.clock.realtimeMs(), actor: undefined };
    this.#live.set(js.id, live);
    try {
      await sup.startChild({
        id: `${js.kind}-${js.id}`,
        restart: 'temporary',
        start: async (ctx) => {
          const actor = new MachineActor({ ctx, machine: jobMachine, input: { id: js.id, kind: js.kind, work: js.work } });
          live.actor = actor;
          actor.subscribe((s) => {
            if (s.status === 'done') this.#final(live);
          });
          // A machine that failed or was stopped (node shutdown) still gets a final snapshot.
          void actor.exited.then((err) => this.#final(live, err?.message ?? 'stopped'));
          return actor;
        },
      });
    } catch (e) {
      this.#live.delete(js.id);
      throw e;
    }
    live.actor!.send({ type: 'job.start' });
  }

  /** Aborts a running job; false when no such job runs here. */
  abort(id: string, reason: string): boolean {
    const live = this.#live.get(id);
    if (live?.actor === undefined) return false;
    live.actor.send({ type: 'job.abort', reason });
    return true;
  }

  /** Ids of the running jobs of `kind`. */
  runningIds(kind?: string): string[] {
    return [...this.#live.values()].filter((l) => kind === undefined || kind === '' || l.start.kind === kind).map((l) => l.start.id);
  }

  snaps(f: SnapFilter = {}): Snap[] {
    const out: Snap[] = [];
    for (const l of this.#live.values()) out.push(this.#snap(l, 0));
    if (!f.onlyRunning) out.push(...this.#done.values());
    return out.filter(
      (s) =>
        (!f.id || s.id === f.id) &&
        (!f.kind || s.kind === f.kind) &&
        (!f.bck || (s.bck.name === f.bck.name && s.bck.provider === f.bck.provider)),
    );
  }

  #final(live: Live, abortErr?: string): void {
    const id = live.start.id;
    if (this.#live.get(id) !== live) return;
    let snap = this.#snap(live, this.#env.clock.realtimeMs());
    if (snap.state !== 'finished' && snap.state !== 'aborted') {
      snap = { ...snap, state: 'aborted', aborted: true, 'abort-err': snap['abort-err'] || abortErr || 'aborted' };
    }
    this.#live.delete(id);
    this.#done.set(id, snap);
    while (this.#done.size > JOBS_FINISHED_MAX) this.#done.delete(this.#done.keys().next().value!);
    try {
      live.start.onFinal?.(snap);
    } catch (err) {
      this.#env.log.error({ err, id }, 'job final callback threw');
    }
  }

  #snap(live: Live, endMs: number): Snap {
    const s = live.actor?.getSnapshot();
    const ctx = s?.context;
    const state = s === undefined ? 'pending' : typeof s.value === 'string' ? s.value : JSON.stringify(s.value);
    const bck = live.start.bck ?? { provider: '', name: '' };
    return {
      id: live.start.id,
      kind: live.start.kind,
      bck: { name: bck.name, provider: bck.provider, namespace: { uuid: '', name: '' } },
      'start-time': timeOf(live.startMs),
      'end-time': timeOf(endMs),
      'abort-err': ctx?.abortErr ?? '',
      err: ctx?.err ?? '',
      stats: statsOf(ctx?.counters ?? { locObjs: 0, locBytes: 0, outObjs: 0, outBytes: 0, inObjs: 0, inBytes: 0 }),
      aborted: state === 'aborted',
      is_idle: false,
      state,
    };
  }
}
