// Resilver as a job (kind `resilver`) on this target: started by a mountpath event (attach, detach,
// enable, disable; AIS fsprungroup) or by `PUT /v1/cluster {"action":"start"}` naming this target.
// A newer event or start aborts the running one first (AIS preempt); a preempted resilver keeps the
// mountpaths waiting for detach/disable (the next one finishes them), a resilver stopped by the
// user puts them back to available (AIS ClearDD).
import { xidFrom, XID_LENGTH, ZERO_COUNTERS, type Counters } from '../../protocol/xact.ts';
import type { JobRegistry } from '../../actors/xact/registry.ts';
import type { JobWork, WorkResult } from '../../actors/xact/machine.ts';
import type { Env } from '../../runtime/env/types.ts';
import type { Storage } from './storage/storage.ts';
import type { ResilverProgress } from './storage/resilver.ts';

export const RESILVER_KIND = 'resilver';

function countersOf(p: ResilverProgress): Counters {
  return { ...ZERO_COUNTERS, locObjs: p.objs, locBytes: p.bytes };
}

export class TargetResilver {
  readonly #env: Env;
  readonly #jobs: JobRegistry;
  readonly #storage: Storage;
  /** Ids of resilvers aborted by a newer one (not by the user). */
  readonly #preempted = new Set<string>();

  constructor(env: Env, jobs: JobRegistry, storage: Storage) {
    this.#env = env;
    this.#jobs = jobs;
    this.#storage = storage;
  }

  isActive(): boolean {
    return this.#jobs.runningIds(RESILVER_KIND).length > 0;
  }

  /** A mountpath event: preempt any running resilver and start a new one; returns its id. */
  async trigger(reason: string): Promise<string> {
    const id = xidFrom(this.#env.random.bytes(XID_LENGTH));
    await this.#jobs.start({ id, kind: RESILVER_KIND, work: this.work(id, reason) });
    return id;
  }

  /** The work of resilver `id`; running resilvers are aborted now (it replaces them). */
  work(id: string, reason = 'start'): JobWork {
    for (const prev of this.#jobs.runningIds(RESILVER_KIND)) {
      if (prev === id) continue;
      if (this.#jobs.abort(prev, `preempted by resilver[${id}] (${reason})`)) this.#preempted.add(prev);
    }
    return async (h): Promise<WorkResult> => {
      this.#env.log.info({ id, reason }, 'resilver: started');
      try {
        const p = await this.#storage.resilver(h.signal, (x) => h.report(countersOf(x)));
        this.#env.log.info({ id, objs: p.objs, bytes: p.bytes, errs: p.errs, aborted: h.signal.aborted }, 'resilver: done');
        return { counters: countersOf(p), err: p.errs > 0 ? `${p.errs} object(s) not moved: ${p.firstErr}` : undefined };
      } finally {
        if (h.signal.aborted && !this.#preempted.delete(id)) this.#clearDD();
      }
    };
  }

  #clearDD(): void {
    try {
      this.#storage.mpaths.clearDD();
    } catch (err) {
      this.#env.log.warn({ err: String(err) }, 'resilver: could not clear pending detach/disable'); // storage closed (shutdown)
    }
  }
}
