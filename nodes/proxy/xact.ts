// The proxy's side of xactions (AIS prxclu.go xstart/xstop + the IC role): pick the cluster-wide id,
// fan `xact.start` out to every active target, keep per-job aggregate state fed by the targets'
// `xact.done` notifications, so `what=status` is answered here without asking every target.
import { ErrInvalidArgument, ErrNotFound } from '../../protocol/errors.ts';
import {
  XactMsg, type BckRefWire, type XactAbortBody, type XactAbortResponse, type XactDoneBody, type XactQueryBody, type XactStartBody,
} from '../../protocol/intra.ts';
import { activeTargets, type Snode } from '../../protocol/smap.ts';
import { countersOf, jobKindOf, JOB_TABLE, xidFrom, XID_LENGTH, ZERO_COUNTERS, type Counters, type JobDescriptor, type JobKind, type Snap, type XactStatus } from '../../protocol/xact.ts';
import type { NodeCore } from '../common/node-core.ts';

export const XACT_REQUEST_TIMEOUT_MS = 30_000;
/** Jobs whose aggregate state this proxy keeps (oldest finished dropped first). */
export const XACT_AGGREGATES_MAX = 1_024;
/** How often `status` of an unfinished job checks for targets that lost it. */
export const XACT_LOST_CHECK_MS = 5_000;

export interface XactAggregate {
  id: string;
  kind: JobKind;
  bck?: BckRefWire;
  targets: string[];
  /** Final snapshots by target id. */
  done: Map<string, Snap>;
  abortErr: string;
  /** First non-fatal error a target reported (Snap `err`, e.g. objects that failed to copy). */
  err: string;
  /** Targets that no longer know the job (restarted, or left the cluster): count as ended, aborted. */
  lost: Set<string>;
  /** Monotonic time of the last check for lost targets. */
  lostCheckMs: number;
  endNs: bigint;
}

export type XactEndListener = (agg: XactAggregate) => void;

export class ProxyXacts {
  readonly #core: NodeCore;
  readonly #jobs = new Map<string, XactAggregate>();
  readonly #onEnd: XactEndListener[] = [];

  constructor(core: NodeCore) {
    this.#core = core;
  }

  register(): void {
    this.#core.ctrl.handle(XactMsg.done, async (b) => {
      this.#onDone(b as XactDoneBody);
      return {};
    });
  }

  /** Validates the kind against the table; `generic`: through `PUT /v1/cluster {action: start}`. */
  static kindOf(raw: string, generic: boolean): JobKind {
    if (raw === '') throw new ErrInvalidArgument('xaction kind is required');
    const kind = jobKindOf(raw);
    if (kind === undefined) throw new ErrInvalidArgument(`unknown xaction kind "${raw}"`);
    if (generic && !JOB_TABLE[kind].startable) throw new ErrInvalidArgument(`xaction "${kind}" cannot be started this way (not startable)`);
    return kind;
  }

  /** Starts the job on every active target and returns its id; a target that refuses aborts it everywhere. */
  async start(kind: JobKind, bck: BckRefWire | undefined, value?: unknown, onlyTarget?: string): Promise<string> {
    const { ctrl, env } = this.#core;
    const desc: JobDescriptor = JOB_TABLE[kind];
    if (desc.testOnly && !this.#core.cfg.test_jobs) throw new ErrInvalidArgument(`unknown xaction kind "${kind}"`);
    // `onlyTarget`: a one-target job (resilver), as AIS's single-node IC listener.
    const targets = this.#targets().filter((t) => onlyTarget === undefined || t.daemon_id === onlyTarget);
    if (onlyTarget !== undefined && targets.length === 0) {
      throw new ErrInvalidArgument(`p[${this.#core.id}]: cannot ${kind}: node ${onlyTarget} not present in Smap v${this.#core.owner.smap?.version ?? 0}`);
    }
    const id = xidFrom(env.random.bytes(XID_LENGTH));
    const agg: XactAggregate = { id, kind, bck, targets: targets.map((t) => t.daemon_id), done: new Map(), abortErr: '', err: '', endNs: 0n, lost: new Set(), lostCheckMs: this.#core.env.clock.monotonicMs() };
    this.#remember(agg);
    const body: XactStartBody = { id, kind, bck, value };
    const results = await Promise.allSettled(
      targets.map((t) => ctrl.request(t.intra_control_net.direct_url, XactMsg.start, body, { timeoutMs: XACT_REQUEST_TIMEOUT_MS })),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.#abortOn(targets, { id, reason: `failed to start: ${(failed.reason as Error).message}` });
      this.#jobs.delete(id);
      throw failed.reason;
    }
    if (targets.length === 0) agg.endNs = env.clock.realtimeNs();
    return id;
  }

  /** Aggregates a job the targets started on their own (rebalance, from a metasynced RMD). */
  track(id: string, kind: JobKind, targets: string[]): void {
    if (this.#jobs.has(id)) return;
    this.#remember({ id, kind, targets, done: new Map(), abortErr: '', err: '', endNs: 0n, lost: new Set(), lostCheckMs: this.#core.env.clock.monotonicMs() });
  }

  /** Called once per job when every target reported it (or was found to have lost it). */
  onEnd(fn: XactEndListener): void {
    this.#onEnd.push(fn);
  }

  /** Stops by id (404 if no node knows it) or every running job of a kind. */
  async stop(id: string, kind: string): Promise<void> {
    if (id === '' && kind === '') throw new ErrInvalidArgument('stop: specify the xaction id or kind');
    const k = kind === '' ? '' : ProxyXacts.kindOf(kind, false);
    const res = await this.#abortOn(this.#targets(), { id: id || undefined, kind: k || undefined, reason: 'stopped by user' });
    const agg = id ? this.#jobs.get(id) : undefined;
    if (id && res.length === 0 && agg === undefined) throw new ErrNotFound(`xaction "${id}" not found`);
  }

  /** IC status from the aggregate; a job this proxy did not start is looked up on the targets. */
  async status(id: string): Promise<XactStatus> {
    if (id === '') throw new ErrInvalidArgument('status: xaction id is required');
    const agg = this.#jobs.get(id);
    if (agg) {
      if (agg.endNs === 0n) await this.#checkLost(agg);
      return statusOf(agg);
    }
    const snaps = Object.values(await this.query({ id })).flat();
    if (snaps.length === 0) throw new ErrNotFound(`xaction "${id}" not found`);
    const running = snaps.some((s) => s['end-time'].startsWith('0001-'));
    const abortErr = snaps.find((s) => s.aborted)?.['abort-err'] ?? '';
    const err = snaps.find((s) => s.err)?.err ?? '';
    const endMs = running ? 0 : Math.max(...snaps.map((s) => Date.parse(s['end-time'])));
    return { kind: snaps[0]!.kind, uuid: id, err: abortErr || err, end_time: endMs * 1e6, aborted: abortErr !== '', is_idle: false };
  }

  /** Every job this proxy aggregates, optionally by kind / running only. */
  statusAll(kind: string, onlyRunning: boolean): XactStatus[] {
    return [...this.#jobs.values()]
      .filter((a) => (!kind || a.kind === kind) && (!onlyRunning || a.endNs === 0n))
      .map(statusOf);
  }

  /** AIS MultiSnap: `{"<tid>": [Snap, ...]}`. */
  async query(q: XactQueryBody, node = ''): Promise<Record<string, Snap[]>> {
    // Every target in the map, in maintenance too (it still runs rebalance); one that does not answer
    // (shut down in maintenance) has nothing to show, unless it was asked for by id.
    const smap = this.#core.owner.smap;
    const targets = (smap ? Object.values(smap.tmap) : []).filter((t) => node === '' || t.daemon_id === node);
    const out: Record<string, Snap[]> = {};
    await Promise.all(
      targets.map(async (t) => {
        const req = this.#core.ctrl.request<Snap[]>(t.intra_control_net.direct_url, XactMsg.query, q, { timeoutMs: XACT_REQUEST_TIMEOUT_MS });
        if (node !== '' || activeTargets(smap!).includes(t)) out[t.daemon_id] = await req;
        else out[t.daemon_id] = await req.catch(() => []);
      }),
    );
    return out;
  }

  /** Per-target counters summed from the final snapshots (summary-bck's answer). */
  totals(id: string): { counters: Counters; done: boolean } | undefined {
    const agg = this.#jobs.get(id);
    if (!agg) return undefined;
    const c = { ...ZERO_COUNTERS };
    for (const s of agg.done.values()) {
      const x = countersOf(s.stats);
      c.locObjs += x.locObjs;
      c.locBytes += x.locBytes;
    }
    return { counters: c, done: agg.endNs !== 0n };
  }

  aggregate(id: string): XactAggregate | undefined {
    return this.#jobs.get(id);
  }

  #onDone(b: XactDoneBody): void {
    const agg = this.#jobs.get(b.id);
    if (!agg || !agg.targets.includes(b.node)) return;
    const snap = b.snap as Snap;
    agg.done.set(b.node, snap);
    if (snap.aborted && !agg.abortErr) agg.abortErr = snap['abort-err'] || 'aborted';
    if (snap.err && !agg.err) agg.err = `${b.node}: ${snap.err}`;
    this.#maybeEnded(agg);
  }

  #maybeEnded(agg: XactAggregate): void {
    if (agg.endNs !== 0n || !agg.targets.every((t) => agg.done.has(t) || agg.lost.has(t))) return;
    agg.endNs = this.#core.env.clock.realtimeNs();
    for (const fn of this.#onEnd) {
      try {
        fn(agg);
      } catch (e) {
        this.#core.env.log.error({ err: (e as Error).message, id: agg.id }, 'xaction end listener threw');
      }
    }
  }

  /**
   * A target that crashed and restarted (or left) lost its job actor and will never report it: at
   * most every XACT_LOST_CHECK_MS, ask the targets that have not reported; one that answers without
   * the job, or is gone from the Smap, counts as ended with an abort error.
   */
  async #checkLost(agg: XactAggregate): Promise<void> {
    const now = this.#core.env.clock.monotonicMs();
    if (now - agg.lostCheckMs < XACT_LOST_CHECK_MS) return;
    agg.lostCheckMs = now;
    const smap = this.#core.owner.smap;
    const missing = agg.targets.filter((t) => !agg.done.has(t) && !agg.lost.has(t));
    await Promise.all(
      missing.map(async (tid) => {
        const node = smap?.tmap[tid];
        let known = false;
        if (node) {
          try {
            const snaps = await this.#core.ctrl.request<Snap[]>(node.intra_control_net.direct_url, XactMsg.query, { id: agg.id }, { timeoutMs: XACT_REQUEST_TIMEOUT_MS });
            known = snaps.length > 0;
          } catch {
            return; // unreachable now: decide at a later check
          }
        }
        if (known || agg.done.has(tid)) return;
        agg.lost.add(tid);
        agg.abortErr ||= `${tid}: the job was lost (target restarted or left the cluster)`;
      }),
    );
    this.#maybeEnded(agg);
  }

  #remember(agg: XactAggregate): void {
    this.#jobs.set(agg.id, agg);
    if (this.#jobs.size <= XACT_AGGREGATES_MAX) return;
    for (const [id, a] of this.#jobs) {
      if (a.endNs !== 0n) {
        this.#jobs.delete(id);
        return;
      }
    }
  }

  #targets(): Snode[] {
    const smap = this.#core.owner.smap;
    return smap ? activeTargets(smap) : [];
  }

  async #abortOn(targets: Snode[], body: XactAbortBody): Promise<string[]> {
    const results = await Promise.allSettled(
      targets.map((t) => this.#core.ctrl.request<XactAbortResponse>(t.intra_control_net.direct_url, XactMsg.abort, body, { timeoutMs: XACT_REQUEST_TIMEOUT_MS })),
    );
    return results.flatMap((r) => (r.status === 'fulfilled' ? r.value.aborted : []));
  }
}

function statusOf(a: XactAggregate): XactStatus {
  // A job that ended with errors (not aborted) still reports them, as AIS's status `err`.
  return { kind: a.kind, uuid: a.id, err: a.abortErr || a.err, end_time: Number(a.endNs), aborted: a.abortErr !== '', is_idle: false };
}
