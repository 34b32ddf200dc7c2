// The target's side of GetBatch: as designated target (DT) it admits work items (`moss.begin`, 429
// when over its buffer budget or work-item limit), runs each as a `get-batch` job and answers the
// client's redirected GET with the archive (streamed, or multipart after spooling); as a sender
// (`moss.send`) it pushes its items to the DT. A client that never comes is given up on after
// `get_batch.max_wait`: the job ends aborted and everything it held is freed.
import type { Readable } from 'node:stream';
import { ErrInvalidArgument, ErrMethodNotAllowed, ErrNotFound, ErrTimeout, ErrTooManyRequests } from '../../../protocol/errors.ts';
import {
  beginFromWire, dataFromWire, defaultGetBatchConf, durationMs, sendFromWire, MOSS_XID_PREFIX, MossMsg, type GetBatchConf, type MossBeginBody, type MossBeginReply, type MossResp, type MossSendBody,
} from '../../../protocol/moss.ts';
import { xidFrom, XID_LENGTH, type Counters } from '../../../protocol/xact.ts';
import type { HttpRequest, HttpResponse } from '../../../runtime/http/types.ts';
import type { TimerHandle } from '../../../runtime/env/types.ts';
import { createArchiveWriter, parseArchiveMime, type ArchiveMime } from '../../../runtime/archive/index.ts';
import type { JobRegistry } from '../../../actors/xact/registry.ts';
import type { WorkResult } from '../../../actors/xact/machine.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { Storage } from '../storage/storage.ts';
import { workPath } from '../storage/layout.ts';
import { MOSS_MSG_BYTES, MOSS_SENDER_WINDOW, runSender } from './sender.ts';
import { mossDtOwnBytes, WorkItem } from './work-item.ts';
import { boundaryOf, multipartBody, multipartContentType } from './multipart.ts';

/** Concurrent sender tasks on one target (one per work item it contributes to). */
export const MOSS_SENDERS_MAX = 1_024;
export const MOSS_BOUNDARY_BYTES = 30;
/** On node stop, how long the work items' cleanup is waited for. */
export const MOSS_STOP_WAIT_MS = 5_000;

/** AIS archive.ContentTypeFromExt. */
export function contentTypeOf(mime: ArchiveMime): string {
  switch (mime) {
    case '.tar':
      return 'application/x-tar';
    case '.tgz':
    case '.tar.gz':
      return 'application/gzip';
    case '.tar.lz4':
      return 'application/x-lz4';
    case '.zip':
      return 'application/zip';
  }
}

interface Live {
  wi: WorkItem;
  /** Bytes of the DT's budget this work item holds (its senders' windows + its own reads). */
  reserved: number;
  clientTimer: TimerHandle | undefined;
  /** Ends the job `finished`. */
  done: () => void;
  /** The job's progress (set once its work runs). */
  report: (c: Counters) => void;
  /** Fails the work item and its archive (node stop). */
  abort: (err: Error) => void;
}

export class MossTarget {
  readonly #core: NodeCore;
  readonly #storage: Storage;
  readonly #jobs: JobRegistry;
  readonly #live = new Map<string, Live>();
  readonly #rebalancing: () => boolean;
  /** Multipart spool files (`%wk/moss-<wid>`) that exist now, and their assemblies in flight. */
  readonly #spools = new Set<string>();
  readonly #spooling = new Set<Promise<unknown>>();
  #senders = 0;
  #reserved = 0;
  #stopped = false;

  constructor(core: NodeCore, storage: Storage, jobs: JobRegistry, rebalancing: () => boolean = () => false) {
    this.#core = core;
    this.#storage = storage;
    this.#jobs = jobs;
    this.#rebalancing = rebalancing;
  }

  /**
   * Node stop: every work item fails, and no spool file outlives the node (M4-F3). An assembly that
   * does not settle in time leaves its file to be removed here anyway.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    const err = new Error(`x-moss: t[${this.#core.id}] is stopping`);
    for (const live of [...this.#live.values()]) live.abort(err);
    const { timers, disk } = this.#core.env;
    let timer: ReturnType<typeof timers.setTimeout> | undefined;
    const bounded = new Promise<void>((resolve) => (timer = timers.setTimeout(resolve, MOSS_STOP_WAIT_MS)));
    await Promise.race([Promise.allSettled([...this.#spooling]), bounded]);
    timers.clearTimeout(timer!);
    for (const path of [...this.#spools]) {
      this.#spools.delete(path);
      await disk.unlink(path).catch(() => undefined);
    }
  }

  conf(): GetBatchConf {
    return { ...defaultGetBatchConf(), ...this.#core.owner.config?.get_batch };
  }

  register(): void {
    const { ctrl, data } = this.#core;
    ctrl.handle(MossMsg.begin, async (b) => this.#begin(beginFromWire(b)));
    ctrl.handle(MossMsg.send, async (b) => this.#send(sendFromWire(b)));
    data.handle(MossMsg.data, async (b, from) => {
      const body = dataFromWire(b);
      const live = this.#live.get(body.wid);
      if (live === undefined) throw new ErrNotFound(`x-moss: work item "${body.wid}" not found at t[${this.#core.id}] (ended or timed out)`);
      await live.wi.inbox.put(from, body.pieces);
      return {};
    });
  }

  /** Work items running here now (tests, inspection). */
  get workItems(): number {
    return this.#live.size;
  }

  async #begin(b: MossBeginBody): Promise<MossBeginReply> {
    const conf = this.conf();
    const id = this.#core.id;
    if (this.#stopped) throw new ErrTooManyRequests(`x-moss: t[${id}] is stopping; retry later`);
    if (this.#live.size >= conf.max_work_items) {
      throw new ErrTooManyRequests(`x-moss: t[${id}] rejected work item "${b.wid}": ${this.#live.size} work items running (max ${conf.max_work_items}); retry later`);
    }
    const senders = new Set(b.owners.filter((o) => o !== id)).size;
    // Worst case: every sender's window full, plus the DT's own reads and queued entries (and, with
    // coloc 2, its shard cache).
    const reserved = senders * MOSS_SENDER_WINDOW * MOSS_MSG_BYTES + mossDtOwnBytes(b.plan);
    if (this.#reserved + reserved > conf.buffer_budget) {
      throw new ErrTooManyRequests(
        `x-moss: t[${id}] rejected work item "${b.wid}" due to memory pressure: it needs ${reserved} buffer bytes, ${this.#reserved} of ${conf.buffer_budget} are taken; retry later`,
      );
    }
    const mime = parseArchiveMime(b.plan.mime);
    if (mime === '.zip' && b.plan.strm) throw new ErrInvalidArgument('x-moss: zip output cannot be streamed (strm); use multipart or a tar format');
    const xid = MOSS_XID_PREFIX + xidFrom(this.#core.env.random.bytes(XID_LENGTH));
    const maxWaitMs = durationMs(conf.max_wait);
    const wi = new WorkItem({ core: this.#core, storage: this.#storage, xid, wid: b.wid, plan: b.plan, owners: b.owners, maxWaitMs, maxSoftErrs: conf.max_soft_errs, rebalancing: this.#rebalancing });
    const { timers } = this.#core.env;
    const live: Live = { wi, reserved, clientTimer: undefined, done: () => {}, report: () => {}, abort: (e) => wi.fail(e) };
    this.#live.set(b.wid, live);
    this.#reserved += reserved;
    // The client was sent here with a 307: one that does not come within max_wait is given up on.
    const clientTimer = timers.setTimeout(() => {
      if (!wi.claimed) wi.fail(new ErrTimeout(`x-moss[${xid}]: the client did not come for work item "${b.wid}" within max_wait ${conf.max_wait}`));
    }, maxWaitMs);
    live.clientTimer = clientTimer;
    wi.onFail(() => this.#end(b.wid, live));
    // The job's outcome is settled by the work item's end, whenever the job's work gets to run.
    const result = new Promise<WorkResult>((resolve, reject) => {
      live.done = () => resolve({ counters: { ...wi.counters } });
      wi.onFail(reject);
    });
    result.catch(() => undefined);
    try {
      await this.#jobs.start({
        id: xid,
        kind: 'get-batch',
        work: ({ signal, report }) => {
          live.report = report;
          signal.addEventListener('abort', () => wi.fail(new Error(`x-moss[${xid}]: aborted`)), { once: true });
          return result;
        },
      });
    } catch (e) {
      wi.fail(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
    return { xid };
  }

  #end(wid: string, live: Live): void {
    if (this.#live.get(wid) !== live) return;
    this.#live.delete(wid);
    this.#reserved -= live.reserved;
    this.#core.env.timers.clearTimeout(live.clientTimer!);
    if (live.wi.failed === undefined) {
      live.wi.inbox.fail(new Error(`x-moss: work item "${wid}" is done`));
      live.done();
    }
  }

  #send(b: MossSendBody): { ok: true } {
    if (this.#senders >= MOSS_SENDERS_MAX) throw new ErrTooManyRequests(`x-moss: t[${this.#core.id}] runs ${this.#senders} senders (max ${MOSS_SENDERS_MAX}); retry later`);
    this.#senders++;
    // Never aborted from here: a sender stops when the DT refuses its messages (work item ended).
    const ac = new AbortController();
    void runSender(this.#core, this.#storage, this.#core.env.workers, b, ac.signal)
      .catch((e: Error) => this.#core.env.log.warn({ xid: b.xid, wid: b.wid, dt: b.dt, err: e.message }, 'x-moss sender stopped'))
      .finally(() => this.#senders--);
    return { ok: true };
  }

  /** `GET /v1/ml/moss/<xid>/<wid>`: the client, redirected here by the proxy, takes its batch. */
  async handle(req: HttpRequest, items: string[]): Promise<HttpResponse> {
    if (req.method !== 'GET') throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET']);
    if (items[2] !== 'moss' || items.length !== 5) throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
    const [xid, wid] = [items[3]!, items[4]!];
    req.body.resume(); // a client that followed the 307 may send the MossReq again: not needed here
    const live = this.#live.get(wid);
    if (live === undefined || live.wi.xid !== xid) throw new ErrNotFound(`x-moss: work item "${wid}" (${xid}) not found at t[${this.#core.id}] (ended or timed out)`);
    const { wi } = live;
    if (wi.claimed) throw new ErrInvalidArgument(`x-moss: work item "${wid}" was already taken by another request`);
    wi.claimed = true;
    this.#core.env.timers.clearTimeout(live.clientTimer!);
    const mime = parseArchiveMime(wi.plan.mime);
    const aw = createArchiveWriter(this.#core.env.workers, mime);
    // An aborted archive errors its output, possibly before anyone reads it: never an uncaught 'error'.
    aw.output.on('error', () => {});
    const report = (c: Counters) => live.report(c);
    const finish = (err?: Error) => {
      if (err) {
        aw.abort(err);
        wi.fail(err);
      } else this.#end(wid, live);
    };
    live.abort = (e) => finish(e);
    if (wi.plan.strm) return this.#streamed(wi, aw, mime, report, finish);
    return this.#multipart(wi, aw, mime, report, finish);
  }

  async #streamed(wi: WorkItem, aw: ReturnType<typeof createArchiveWriter>, mime: ArchiveMime, report: (c: Counters) => void, finish: (err?: Error) => void): Promise<HttpResponse> {
    let first!: () => void;
    const started = new Promise<void>((resolve) => (first = resolve));
    const assembled = wi.assemble(aw, first, report);
    // A stream that has started cannot carry an error: the archive is cut (connection reset).
    aw.output.once('close', () => {
      if (!aw.output.readableEnded) finish(new Error(`x-moss[${wi.xid}]: client went away`));
    });
    const outcome = assembled.then(
      () => finish(),
      (e: Error) => {
        this.#core.env.log.warn({ xid: wi.xid, wid: wi.wid, err: e.message }, 'x-moss: streaming batch aborted');
        finish(e);
        throw e;
      },
    );
    // Until the first entry is ready an error is still a proper answer (e.g. 404 without coer).
    await Promise.race([started, outcome]);
    outcome.catch(() => undefined);
    return { status: 200, headers: { 'content-type': contentTypeOf(mime), 'ais-xaction-id': wi.xid }, body: aw.output };
  }

  async #multipart(wi: WorkItem, aw: ReturnType<typeof createArchiveWriter>, mime: ArchiveMime, report: (c: Counters) => void, finish: (err?: Error) => void): Promise<HttpResponse> {
    const { disk } = this.#core.env;
    const mpath = this.#storage.mountpathPaths()[0];
    if (mpath === undefined) throw new ErrInvalidArgument(`t[${this.#core.id}] has no mountpath to spool the batch`);
    const path = workPath(mpath, wi.plan.items[0]!.bck, `moss-${wi.wid}`);
    await disk.mkdir(path.slice(0, path.lastIndexOf('/')));
    this.#spools.add(path);
    const removeSpool = () => {
      if (this.#spools.delete(path)) void disk.unlink(path).catch(() => undefined);
    };
    const file = await disk.openWrite(path).catch((e: unknown) => {
      this.#spools.delete(path);
      throw e;
    });
    const spooled = (async () => {
      for await (const c of aw.output) await file.write(c as Uint8Array);
    })();
    spooled.catch(() => undefined);
    const assembled = (async () => {
      try {
        await Promise.all([wi.assemble(aw, () => {}, report), spooled]);
        await file.close();
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
        await spooled.catch(() => undefined); // no write in flight when the file closes
        await file.close().catch(() => undefined);
        if (this.#spools.delete(path)) await disk.unlink(path).catch(() => undefined);
        throw e;
      }
    })();
    this.#spooling.add(assembled);
    try {
      await assembled;
    } finally {
      this.#spooling.delete(assembled);
    }
    if (this.#stopped) {
      removeSpool();
      throw new ErrTooManyRequests(`x-moss: t[${this.#core.id}] is stopping; retry later`);
    }
    finish();
    const resp: MossResp = { uuid: wi.xid, out: wi.out };
    const boundary = boundaryOf(this.#core.env.random.bytes(MOSS_BOUNDARY_BYTES));
    const archive: Readable = disk.createReadStream(path);
    const body = multipartBody(boundary, resp, `${wi.xid}${mime}`, archive, removeSpool);
    return { status: 200, headers: { 'content-type': multipartContentType(boundary), 'ais-xaction-id': wi.xid }, body };
  }
}
