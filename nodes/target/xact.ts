// The target's side of xactions: start the local job actor for a cluster-wide id, abort, answer
// snapshot queries, and notify the starting proxy when the job ends (AIS IC notifications).
import { ErrConflict, ErrInvalidArgument, ErrUnknownAction } from '../../protocol/errors.ts';
import {
  XactMsg, type BckRefWire, type XactAbortBody, type XactAbortResponse, type XactDoneBody, type XactQueryBody, type XactStartBody,
} from '../../protocol/intra.ts';
import { jobKindOf, type Snap } from '../../protocol/xact.ts';
import type { JobRegistry } from '../../actors/xact/registry.ts';
import type { JobWork } from '../../actors/xact/machine.ts';
import type { JobStore } from '../../actors/xact/store.ts';
import { summaryWork } from '../../actors/summary-bck/work.ts';
import { listRangeWork, type ListRange } from '../../actors/listrange/work.ts';
import { testFailWork } from '../../actors/test-fail/work.ts';
import { testSleepWork } from '../../actors/test-sleep/work.ts';
import type { NodeCore } from '../common/node-core.ts';
import type { Storage } from './storage/storage.ts';
import { CopyStates } from './copy/state.ts';
import { CopyReceiver } from './copy/receiver.ts';
import { copyWork } from './copy/work.ts';
import { cleanupWork } from './cleanup.ts';
import type { TargetResilver } from './resilver.ts';
import type { CopyJobValue } from '../../protocol/copy.ts';
import { rebId, type Rmd } from '../../protocol/reb.ts';
import { RebState } from './reb/state.ts';
import { rebWork } from './reb/work.ts';

/** `xact.done` to the starting proxy: acknowledged, retried with back-off up to this many times. */
export const XACT_DONE_RETRIES = 10;
export const XACT_DONE_RETRY_MS_MIN = 200;
export const XACT_DONE_RETRY_MS_MAX = 5_000;
export const XACT_DONE_TIMEOUT_MS = 5_000;

export class TargetXacts {
  readonly #core: NodeCore;
  readonly #jobs: JobRegistry;
  readonly #store: JobStore;
  readonly #storage: Storage;
  readonly #copies = new CopyStates();
  /** This target's side of global rebalance (marker, get-from-neighbor switch, tombstones). */
  readonly reb: RebState;
  readonly #resilver: TargetResilver | undefined;

  constructor(core: NodeCore, jobs: JobRegistry, storage: Storage, resilver?: TargetResilver) {
    this.#core = core;
    this.#jobs = jobs;
    this.#store = storage;
    this.#storage = storage;
    this.reb = new RebState(core.env, core.cfg.confdir);
    this.#resilver = resilver;
  }

  register(): void {
    const { ctrl } = this.#core;
    ctrl.handle(XactMsg.start, async (b, from) => this.#start(b as XactStartBody, from));
    ctrl.handle(XactMsg.abort, async (b): Promise<XactAbortResponse> => this.#abort(b as XactAbortBody));
    ctrl.handle(XactMsg.query, async (b): Promise<Snap[]> => {
      const q = b as XactQueryBody;
      return this.#jobs.snaps({ id: q.id, kind: q.kind, bck: q.bck, onlyRunning: q.onlyRunning });
    });
    new CopyReceiver(this.#core, this.#storage, this.#copies, (bck, name) => this.reb.received(bck, name)).register();
  }

  async #start(b: XactStartBody, from: string): Promise<{ id: string }> {
    // AIS limited coexistence: a copy reads objects where they are, which a rebalance is changing.
    if (jobKindOf(b.kind) === 'copy-bck' && this.reb.active) {
      throw new ErrConflict(`cannot start ${b.kind}: t[${this.#core.id}] is rebalancing (rebalance ${rebId(this.#core.owner.version('rmd'))}); retry when it is done`);
    }
    const work = this.#work(b);
    await this.#jobs.start({ id: b.id, kind: b.kind, bck: b.bck, work, onFinal: (snap) => this.#notify(from, snap) });
    return { id: b.id };
  }

  /** A newer RMD arrived: rebalance `g<version>` replaces any rebalance still running here. */
  startRebalance(rmd: Rmd): void {
    const version = Number(rmd.version);
    const id = rebId(version);
    this.reb.activate();
    for (const old of this.#jobs.runningIds('rebalance')) if (old !== id) this.#jobs.abort(old, `superseded by rebalance ${id}`);
    for (const copy of this.#jobs.runningIds('copy-bck')) this.#jobs.abort(copy, `aborted by rebalance ${id}`);
    const work = rebWork({ core: this.#core, storage: this.#storage, states: this.#copies, reb: this.reb }, id, version, rmd.smap_version);
    // The primary triggered it: it is the IC that aggregates the targets' final snapshots.
    const onFinal = (snap: Snap) => {
      const primary = this.#core.owner.smap?.proxy_si.daemon_id;
      if (primary !== undefined) this.#notify(primary, snap);
    };
    // An RMD can come with the join answer, before the job supervisor runs.
    void this.#jobs
      .whenAttached()
      .then(() => (rebId(this.#core.owner.version('rmd')) === id ? this.#jobs.start({ id, kind: 'rebalance', work, onFinal }) : undefined))
      .catch((e: Error) => this.#core.env.log.warn({ id, err: e.message }, 'rebalance not started'));
  }

  #abort(b: XactAbortBody): XactAbortResponse {
    const ids = b.id ? [b.id] : this.#jobs.runningIds(b.kind);
    return { aborted: ids.filter((id) => this.#jobs.abort(id, b.reason)) };
  }

  #work(b: XactStartBody): JobWork {
    const kind = jobKindOf(b.kind);
    const value = (b.value ?? {}) as Record<string, unknown>;
    switch (kind) {
      case 'summary-bck':
        return summaryWork(this.#store, this.#bck(b), typeof value.prefix === 'string' ? value.prefix : '');
      case 'delete-listrange':
      case 'evict-listrange': {
        const bck = this.#bck(b);
        const self = this.#core.id;
        const owns = (objName: string) => {
          return this.#core.ownerOf(bck, objName)?.daemon_id === self;
        };
        // Deletes follow the PUT durability policy: under Fsync-PUT the removal is flushed (a power
        // loss must not bring a deleted name back).
        const sync = this.#core.feature('Fsync-PUT');
        const store: JobStore = {
          list: (bk, o) => this.#storage.list(bk, o),
          head: (bk, n) => this.#storage.head(bk, n),
          delete: (bk, n) => this.#storage.delete(bk, n, { sync }),
        };
        return listRangeWork({ store, bck, owns }, value as ListRange);
      }
      case 'copy-bck':
        return copyWork({ core: this.#core, storage: this.#storage, states: this.#copies }, b.id, this.#bck(b), value as unknown as CopyJobValue);
      case 'resilver':
        if (!this.#resilver) throw new ErrUnknownAction('resilver is not available on this target');
        return this.#resilver.work(b.id, 'started by the user');
      case 'rebalance':
        throw new ErrInvalidArgument('rebalance is started by the primary with a new RMD, not by xact.start');
      case 'cleanup-store':
        return cleanupWork(this.#core, this.#storage);
      case 'test-fail':
        return testFailWork();
      case 'test-sleep':
        return testSleepWork(this.#core.env.timers);
      default:
        throw new ErrUnknownAction(`unknown xaction kind "${b.kind}"`);
    }
  }

  #bck(b: XactStartBody): BckRefWire {
    if (!b.bck) throw new ErrInvalidArgument(`${b.kind}: missing bucket`);
    return b.bck;
  }

  /**
   * Tells the proxy that started the job that it ended here (the IC role). Acknowledged and retried
   * with back-off: a notification lost to a dropped connection would leave the job running forever
   * in the proxy's view (the simulator's seed 5 found exactly that).
   */
  #notify(proxyId: string, snap: Snap): void {
    void (async () => {
      let delayMs = XACT_DONE_RETRY_MS_MIN;
      for (let attempt = 0; attempt <= XACT_DONE_RETRIES; attempt++) {
        const proxy = this.#core.owner.smap?.pmap[proxyId];
        if (proxy === undefined) return; // the starting proxy left; status falls back to querying targets
        const body: XactDoneBody = { id: snap.id, node: this.#core.id, snap };
        try {
          await this.#core.ctrl.request(proxy.intra_control_net.direct_url, XactMsg.done, body, { timeoutMs: XACT_DONE_TIMEOUT_MS });
          return;
        } catch (err) {
          this.#core.env.log.warn({ err: (err as Error).message, id: snap.id, attempt }, 'xact.done not acknowledged; retrying');
        }
        await this.#core.env.timers.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, XACT_DONE_RETRY_MS_MAX);
      }
    })();
  }
}
