// One GetBatch work item on its designated target (DT): the archive is written strictly in request
// order. Items this target owns are read here; the others come from their owners' streams (Inbox).
// An item its owner does not have (mid-rebalance) or whose sender went silent is read from a
// neighbour (get-from-neighbor), a soft error; a missing item fails the request, or with `coer`
// becomes a zero-size `__404__/...` entry. The MossResp metadata is collected on the way.
import { Readable } from 'node:stream';
import { ErrInternal, ErrObjNotFound, ErrTimeout, errorFromWire, type ShoalError } from '../../../protocol/errors.ts';
import { missingName, mossOut, nameInArch, type MossItem, type MossOut, type MossPlan } from '../../../protocol/moss.ts';
import { ZERO_COUNTERS, type Counters } from '../../../protocol/xact.ts';
import type { Env } from '../../../runtime/env/types.ts';
import { ShardCache, type ArchiveWriter } from '../../../runtime/archive/index.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { Storage } from '../storage/storage.ts';
import { Inbox, type InPiece } from './inbox.ts';
import { MOSS_SMALL_READ_BYTES, readLocal, readNeighbour, type ItemSource } from './read.ts';
import { ReadAhead } from './read-ahead.ts';

/** Entries handed to the archive writer ahead of the one it is writing (reads overlap writing). */
export const MOSS_ADDS_AHEAD_MAX = 16;
export const MOSS_ADDS_AHEAD_BYTES_MAX = 8 * 1024 * 1024;
/** Items read ahead of the one being written. */
export const MOSS_READ_AHEAD = 8;
/** What the DT itself may hold per work item: its read-ahead buffers and the entries queued ahead. */
export const MOSS_DT_OWN_BYTES = MOSS_READ_AHEAD * MOSS_SMALL_READ_BYTES + MOSS_ADDS_AHEAD_BYTES_MAX;
/** coloc 2: the hot shards one work item keeps (its DT reserves this too). */
export const MOSS_SHARD_CACHE_BYTES = 64 * 1024 * 1024;

/** What the DT itself may hold for a work item of this plan (coloc 2 adds its shard cache). */
export function mossDtOwnBytes(plan: Pick<MossPlan, 'coloc'>): number {
  return MOSS_DT_OWN_BYTES + (plan.coloc === 2 ? MOSS_SHARD_CACHE_BYTES : 0);
}

/** Counters are published every this many items. */
export const MOSS_REPORT_EVERY = 64;
/** Get-from-neighbor during a rebalance: how often, and how far apart, a missing item is looked for again. */
export const MOSS_GFN_REBALANCE_RETRIES = 3;
export const MOSS_GFN_REBALANCE_RETRY_MS = 200;

export interface WorkItemOpts {
  core: NodeCore;
  storage: Storage;
  xid: string;
  wid: string;
  plan: MossPlan;
  owners: readonly string[];
  maxWaitMs: number;
  maxSoftErrs: number;
  /** True while a rebalance settles here (objects may be in flight between targets). */
  rebalancing?: () => boolean;
}

/** An item ready for the archive, and what to do once the writer took it. */
interface Ready {
  name: string;
  src: ItemSource;
  out: MossOut;
  release(): void;
  local: boolean;
}

function isNotFound(e: unknown): boolean {
  return (e as ShoalError | undefined)?.tcode === 'ErrObjNotFound';
}

function is404(e: unknown): boolean {
  return (e as ShoalError | undefined)?.status === 404;
}

export class WorkItem {
  readonly xid: string;
  readonly wid: string;
  readonly plan: MossPlan;
  readonly inbox: Inbox;
  readonly out: MossOut[] = [];
  readonly #o: WorkItemOpts;
  readonly #env: Env;
  readonly #dead = new Set<string>();
  /** Targets a get-from-neighbor HEAD could not reach: not asked again for this work item. */
  readonly #unreachable = new Set<string>();
  readonly counters: Counters = { ...ZERO_COUNTERS };
  /** coloc 2 only: shards opened by this work item, for its next members. */
  readonly shards: ShardCache | undefined;
  #soft = 0;
  #failed: Error | undefined;
  #onFail: ((e: Error) => void)[] = [];
  /** Set once a client GET took this work item (only one may). */
  claimed = false;

  constructor(o: WorkItemOpts) {
    this.#o = o;
    this.#env = o.core.env;
    this.xid = o.xid;
    this.wid = o.wid;
    this.plan = o.plan;
    this.inbox = new Inbox(o.core.env.timers, o.core.env.clock);
    this.shards = o.plan.coloc === 2 ? new ShardCache(MOSS_SHARD_CACHE_BYTES) : undefined;
  }

  get failed(): Error | undefined {
    return this.#failed;
  }

  /** Ends the work item with `err`: senders and the assembly stop. */
  fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    this.inbox.fail(err);
    this.shards?.clear();
    for (const f of this.#onFail) f(err);
  }

  onFail(f: (e: Error) => void): void {
    if (this.#failed) f(this.#failed);
    else this.#onFail.push(f);
  }

  /**
   * Writes every entry in order into `aw`, then its trailer. `onFirst` runs when the first entry is
   * about to be written (a streaming answer commits to 200 only then). Throws the first hard error.
   */
  async assemble(aw: ArchiveWriter, onFirst: () => void, report: (c: Counters) => void): Promise<void> {
    const { plan } = this;
    for (const id of new Set(this.#o.owners)) this.inbox.touch(id);
    const ahead: { add: Promise<void>; bytes: number; r: Ready }[] = [];
    let aheadBytes = 0;
    const reads = new ReadAhead(plan.items.length, MOSS_READ_AHEAD, (i) => this.#next(i));
    const settleOne = async () => {
      const a = ahead.shift()!;
      try {
        await a.add;
      } finally {
        aheadBytes -= a.bytes;
      }
    };
    try {
      for (let i = 0; i < plan.items.length; i++) {
        if (this.#failed) throw this.#failed;
        const r = await reads.take(i);
        if (i === 0) onFirst();
        const bytes = r.src.data ? r.src.data.byteLength : 0;
        const add = aw.add(r.name, r.src.data ?? r.src.stream!, r.src.size, r.src.mtimeMs);
        // The sender's credit comes back as soon as the writer has the bytes — not when this loop
        // gets to it: it may be waiting for that very sender's next item (a window deadlock).
        add.then(r.release, r.release);
        ahead.push({ add, bytes, r });
        aheadBytes += bytes;
        this.out.push(r.out);
        if (r.local) {
          this.counters.locObjs++;
          this.counters.locBytes += r.src.size;
        } else {
          this.counters.inObjs++;
          this.counters.inBytes += r.src.size;
        }
        // A streamed entry must be written before the next one is read (bounded memory).
        while (ahead.length > 0 && (ahead.length >= MOSS_ADDS_AHEAD_MAX || aheadBytes >= MOSS_ADDS_AHEAD_BYTES_MAX || r.src.stream)) await settleOne();
        if (i % MOSS_REPORT_EVERY === 0) report({ ...this.counters });
      }
      while (ahead.length > 0) await settleOne();
      this.shards?.clear(); // every item is read: the shards are no longer needed
      await aw.finish();
      report({ ...this.counters });
    } catch (e) {
      for (const a of ahead) a.r.release();
      reads.discard((r) => {
        r.release();
        r.src.stream?.destroy();
      });
      throw e;
    }
  }

  /** Item `i`, ready for the archive (or its `__404__` entry). */
  async #next(i: number): Promise<Ready> {
    const it = this.plan.items[i]!;
    const owner = this.#o.owners[i]!;
    const name = nameInArch(it, this.plan.onob);
    const done = (src: ItemSource, local: boolean, release: () => void = () => {}): Ready => ({ name, src, out: mossOut(it, src.size), release, local });
    try {
      if (owner === this.#o.core.id || this.#dead.has(owner) || this.#o.core.owner.smap?.tmap[owner] === undefined) {
        return done(await this.#local(it, owner), true);
      }
      const first = await this.inbox.next(i, owner, this.#o.maxWaitMs);
      if (first === undefined) {
        this.#senderSilent(owner);
        return done(await this.#local(it, owner), true);
      }
      if (first.err) {
        first.consumed();
        const err = errorFromWire(first.err);
        if (!isNotFound(err)) throw err;
        return done(await this.#fromNeighbour(it, owner), false);
      }
      if (first.end) return done({ size: first.size, mtimeMs: first.mtimeMs, data: first.data }, false, first.consumed);
      return done({ size: first.size, mtimeMs: first.mtimeMs, stream: this.#streamOf(i, owner, first) }, false);
    } catch (e) {
      if (!is404(e) || !this.plan.coer) throw e;
      this.#softErr((e as Error).message);
      return { name: missingName(it, this.plan.onob), src: { size: 0, mtimeMs: 0, data: new Uint8Array(0) }, out: mossOut(it, 0, (e as Error).message), release: () => {}, local: true };
    }
  }

  /** Here first; if not here, from a neighbour (the owner was us, or its sender is gone). */
  async #local(it: MossItem, owner: string): Promise<ItemSource> {
    try {
      return await readLocal(this.#o.storage, this.#env.workers, it, this.shards);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return this.#fromNeighbour(it, owner, false);
  }

  /** Get-from-neighbor: a soft error when it recovers the item; ErrObjNotFound when no one has it. */
  async #fromNeighbour(it: MossItem, owner: string, tryLocal = true): Promise<ItemSource> {
    if (tryLocal) {
      try {
        const src = await readLocal(this.#o.storage, this.#env.workers, it, this.shards);
        this.#softErr(`${it.objname}: read locally, its owner ${owner} does not have it`);
        return src;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    // AIS GFN asks every target, the owner included: a sender that said "missing" may have received
    // the object from the rebalance since, and a silent one may still answer a HEAD (M4-F2).
    let src = await this.#readNeighbour(it);
    // While a rebalance moves objects one may be in flight between two targets: look again, a few
    // times, before it becomes a 404 / `__404__` entry.
    for (let n = 0; src === undefined && n < MOSS_GFN_REBALANCE_RETRIES && this.#rebalancing(); n++) {
      await new Promise<void>((resolve) => this.#env.timers.setTimeout(resolve, MOSS_GFN_REBALANCE_RETRY_MS));
      if (this.#failed) throw this.#failed;
      src = await this.#readNeighbour(it);
      if (src === undefined) {
        try {
          src = await readLocal(this.#o.storage, this.#env.workers, it, this.shards);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    }
    if (src === undefined) throw new ErrObjNotFound(`${it.bck.provider}://${it.bck.name}`, it.objname);
    this.#softErr(`${it.objname}: read from a neighbour`);
    return src;
  }

  #readNeighbour(it: MossItem): Promise<ItemSource | undefined> {
    return readNeighbour(this.#o.core, this.#env.workers, it, this.#unreachable, (id) => this.#unreachable.add(id), this.shards);
  }

  #rebalancing(): boolean {
    return this.#o.rebalancing?.() ?? false;
  }

  #softErr(why: string): void {
    this.#soft++;
    this.#env.log.debug({ wid: this.wid, soft: this.#soft, why }, 'x-moss soft error');
    if (this.#soft > this.#o.maxSoftErrs) {
      throw new ErrInternal(`x-moss[${this.xid}]: wid="${this.wid}" exceeded soft-errors limit: ${this.#soft} (max: ${this.#o.maxSoftErrs})`);
    }
  }

  #senderSilent(owner: string): void {
    if (this.#dead.has(owner)) return;
    this.#dead.add(owner);
    this.inbox.dropFrom(owner);
    this.#env.log.warn({ wid: this.wid, xid: this.xid, sender: owner, maxWaitMs: this.#o.maxWaitMs }, 'x-moss: sender silent past max_wait; reading its items from neighbours');
  }

  /** A big remote item: its pieces as they arrive, each acknowledged once the writer pulled the next. */
  #streamOf(i: number, owner: string, first: InPiece): Readable {
    const inbox = this.inbox;
    const maxWaitMs = this.#o.maxWaitMs;
    const silent = () => this.#senderSilent(owner);
    return Readable.from(
      (async function* () {
        let p: InPiece | undefined = first;
        for (;;) {
          yield p.data;
          p.consumed();
          if (p.end) return;
          p = await inbox.next(i, owner, maxWaitMs);
          if (p === undefined) {
            silent();
            throw new ErrTimeout(`x-moss: sender ${owner} went silent in the middle of item ${i}`);
          }
          if (p.err) throw errorFromWire(p.err);
        }
      })(),
      { objectMode: false },
    );
  }
}
