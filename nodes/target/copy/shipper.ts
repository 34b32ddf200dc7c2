// Sends whole objects to other targets over the intra-data endpoint, for copy-bck and rebalance:
// small objects batched per (receiver, bucket, checksum type) in `copy.objs`, big ones in numbered
// `copy.obj` chunks; at most `windowChunks` messages unacknowledged (flow control). Each object's
// outcome is reported once through `onResult` when its acknowledgement (or failure) arrives.
import { bckUname } from '../../../protocol/bmd.ts';
import type { CksumType } from '../../../protocol/apc.ts';
import { CopyMsg, type CopyBatchBody, type CopyBatchReply, type CopyObjBody, type KeepMeta } from '../../../protocol/copy.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import type { Snode } from '../../../protocol/smap.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { GetResult } from '../storage/storage.ts';
import { Batches, COPY_BATCH_BYTES_MAX, type Batch } from './batch.ts';
import { Window } from './window.ts';

/** Objects up to this size travel whole (batched); bigger ones in chunks of this size. */
export const COPY_CHUNK_BYTES = 1024 * 1024;
export const COPY_SEND_TIMEOUT_MS = 60_000;

/** Where and how the receiver stores the object. */
export interface ShipDst {
  bck: BckRefWire;
  name: string;
  /** The receiver checksums with this type (and verifies the source's value when it is the same). */
  cksumType: CksumType;
  versioning: boolean;
  /** Rebalance: store with the source's identity, only if nothing newer is there. */
  keep?: KeepMeta;
}

export type ShipResult = (dst: ShipDst, size: number, err?: Error) => void;

interface To {
  node: Snode;
  bck: BckRefWire;
  cksumType: CksumType;
  versioning: boolean;
}

export class Shipper {
  readonly #core: NodeCore;
  readonly #xid: string;
  readonly #signal: AbortSignal;
  readonly #window: Window;
  readonly #onResult: ShipResult;
  readonly #batches = new Batches<To>();
  readonly #sends = new Set<Promise<void>>();
  #sid = 0;

  constructor(core: NodeCore, xid: string, signal: AbortSignal, windowChunks: number, onResult: ShipResult) {
    this.#core = core;
    this.#xid = xid;
    this.#signal = signal;
    this.#window = new Window(windowChunks);
    this.#onResult = onResult;
  }

  /**
   * Queues (small) or sends (big) one object; returns once it is handed over, which waits for a
   * window slot (backpressure on the caller's walk). A big object's result is reported before this
   * returns; a batched one's when its batch is acknowledged.
   */
  async ship(to: Snode, dst: ShipDst, got: GetResult): Promise<void> {
    const { meta } = got;
    if (got.data && meta.size <= COPY_BATCH_BYTES_MAX) {
      const key = `${to.daemon_id}\n${bckUname(dst.bck.provider, dst.bck.name)}\n${dst.cksumType}\n${dst.versioning}`;
      const obj = { name: dst.name, size: meta.size, cksumType: meta.cksumType, cksumValue: meta.cksumValue, customMd: meta.customMd, keep: dst.keep, data: got.data };
      const ready = this.#batches.add(key, { node: to, bck: dst.bck, cksumType: dst.cksumType, versioning: dst.versioning }, obj);
      for (const b of ready) await this.#sendBatch(b);
      return;
    }
    try {
      await this.#sendChunked(to, dst, got);
    } catch (e) {
      this.#onResult(dst, meta.size, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#onResult(dst, meta.size);
  }

  /** Sends the open batches and waits for every outstanding acknowledgement. */
  async flush(): Promise<void> {
    for (const b of this.#batches.drain()) await this.#sendBatch(b);
    await Promise.all(this.#sends);
  }

  async #sendBatch(b: Batch<To>): Promise<void> {
    await this.#window.acquire();
    if (this.#signal.aborted) {
      this.#window.release();
      this.#signal.throwIfAborted();
    }
    const { node, bck, cksumType, versioning } = b.to;
    const body: CopyBatchBody = { xid: this.#xid, smapVer: this.#core.owner.version('smap'), bck, dstCksumType: cksumType, versioning, objs: b.objs };
    const dstOf = (o: CopyBatchBody['objs'][number]): ShipDst => ({ bck, name: o.name, cksumType, versioning, keep: o.keep });
    const p: Promise<void> = this.#core.data
      .request<CopyBatchReply>(node.intra_data_net.direct_url, CopyMsg.objs, body, { timeoutMs: COPY_SEND_TIMEOUT_MS })
      .then(
        (reply) => {
          const bad = new Map(reply.failed.map((f) => [f.name, f.err]));
          for (const o of b.objs) {
            const err = bad.get(o.name);
            this.#onResult(dstOf(o), o.size, err === undefined ? undefined : new Error(err));
          }
        },
        (e: unknown) => {
          for (const o of b.objs) this.#onResult(dstOf(o), o.size, e instanceof Error ? e : new Error(String(e)));
        },
      )
      .finally(() => {
        this.#window.release();
        this.#sends.delete(p);
      });
    this.#sends.add(p);
  }

  async #sendChunked(to: Snode, dst: ShipDst, got: GetResult): Promise<void> {
    const core = this.#core;
    const url = to.intra_data_net.direct_url;
    const { meta } = got;
    const base = {
      xid: this.#xid, smapVer: core.owner.version('smap'), bck: dst.bck, name: dst.name, size: meta.size, cksumType: meta.cksumType, cksumValue: meta.cksumValue,
      dstCksumType: dst.cksumType, versioning: dst.versioning, customMd: meta.customMd, keep: dst.keep,
    };
    const chunked = meta.size > COPY_CHUNK_BYTES;
    const id = chunked ? `${this.#xid}.${++this.#sid}` : '';
    const acks: Promise<unknown>[] = [];
    let off = 0;
    try {
      for await (const data of chunksOf(got)) {
        this.#signal.throwIfAborted();
        await this.#window.acquire();
        const last = off + data.byteLength >= meta.size;
        const body: CopyObjBody = { ...base, sid: id, off, last, data };
        off += data.byteLength;
        const ack = core.data.request(url, CopyMsg.obj, body, { timeoutMs: COPY_SEND_TIMEOUT_MS }).finally(() => this.#window.release());
        ack.catch(() => {}); // awaited below
        acks.push(ack);
      }
      await Promise.all(acks);
    } catch (e) {
      if (chunked) {
        try {
          core.data.notify(url, CopyMsg.abort, { sid: id });
        } catch {
          /* the peer is gone: its partial work file is space-cleanup's */
        }
      }
      await Promise.allSettled(acks);
      throw e;
    }
  }
}

async function* chunksOf(got: GetResult): AsyncGenerator<Uint8Array> {
  if (got.data) {
    for (let off = 0; off < got.data.byteLength || off === 0; off += COPY_CHUNK_BYTES) {
      yield got.data.subarray(off, off + COPY_CHUNK_BYTES);
      if (got.data.byteLength === 0) return;
    }
    return;
  }
  let parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of got.stream!) {
    let buf = c as Uint8Array;
    while (buf.byteLength > 0) {
      const take = Math.min(buf.byteLength, COPY_CHUNK_BYTES - n);
      parts.push(buf.subarray(0, take));
      n += take;
      buf = buf.subarray(take);
      if (n === COPY_CHUNK_BYTES) {
        yield Buffer.concat(parts);
        parts = [];
        n = 0;
      }
    }
  }
  if (n > 0 || parts.length > 0) yield Buffer.concat(parts);
}
