// A GetBatch sender: a target that owns some items of a work item reads them in request order and
// pushes them to the designated target over intra-data, small items batched into one message, big
// ones in 1 MiB pieces. Credit-based flow control: the DT acknowledges a message only once it has
// consumed its pieces, and a sender has at most MOSS_SENDER_WINDOW messages unacknowledged, so the
// DT buffers at most window × MOSS_MSG_BYTES per sender. An item the sender cannot read travels as
// an error piece (the DT decides: get-from-neighbor, `__404__` entry, or failure).
import { ErrInternal, errorToWire } from '../../../protocol/errors.ts';
import { dataToWire, MossMsg, type MossDataBody, type MossPiece, type MossSendBody } from '../../../protocol/moss.ts';
import type { Workers } from '../../../runtime/env/types.ts';
import { ShardCache } from '../../../runtime/archive/index.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { Storage } from '../storage/storage.ts';
import { Window } from '../copy/window.ts';
import { readLocal, type ItemSource } from './read.ts';
import { ReadAhead } from './read-ahead.ts';

/** Payload bytes per message (a big item's piece size, and the batch size of small ones). */
export const MOSS_MSG_BYTES = 1024 * 1024;
/** The first message's payload; each next one doubles up to MOSS_MSG_BYTES. */
export const MOSS_FIRST_MSG_BYTES = 16 * 1024;
/** Items per message at most (many tiny items: bounds the message's envelope). */
export const MOSS_MSG_PIECES_MAX = 1_024;
/** Items in the first message; each next one doubles up to MOSS_MSG_PIECES_MAX. */
export const MOSS_FIRST_MSG_PIECES = 8;
/** Messages a sender has unacknowledged per work item. */
export const MOSS_SENDER_WINDOW = 4;
/** Items a sender reads ahead of the one it is sending. */
export const MOSS_SENDER_READ_AHEAD = 8;
/** coloc 2: the hot shards one sender task keeps. */
export const MOSS_SENDER_SHARD_CACHE_BYTES = 64 * 1024 * 1024;
/** The DT acknowledges once its client took the bytes: a slow client may take this long. */
export const MOSS_ACK_TIMEOUT_MS = 600_000;

export async function runSender(core: NodeCore, storage: Storage, workers: Workers, b: MossSendBody, signal: AbortSignal): Promise<void> {
  const dt = core.owner.smap?.tmap[b.dt];
  if (dt === undefined) throw new Error(`x-moss ${b.xid}: designated target ${b.dt} is not in the cluster map`);
  const url = dt.intra_data_net.direct_url;
  const window = new Window(MOSS_SENDER_WINDOW);
  const acks = new Set<Promise<void>>();
  let failed: Error | undefined;
  let pieces: MossPiece[] = [];
  let bytes = 0;
  // Small first messages, so that the DT (which writes in request order) is not idle while we batch.
  let batchBytes = MOSS_FIRST_MSG_BYTES;
  let batchPieces = MOSS_FIRST_MSG_PIECES;

  const flush = async (fin: boolean): Promise<void> => {
    await window.acquire();
    if (failed) throw failed;
    signal.throwIfAborted();
    const body: MossDataBody = { wid: b.wid, pieces };
    if (fin) body.fin = true;
    pieces = [];
    bytes = 0;
    batchBytes = Math.min(batchBytes * 2, MOSS_MSG_BYTES);
    batchPieces = Math.min(batchPieces * 2, MOSS_MSG_PIECES_MAX);
    const p: Promise<void> = core.data
      .request(url, MossMsg.data, dataToWire(body), { timeoutMs: MOSS_ACK_TIMEOUT_MS })
      .then(
        () => undefined,
        (e: unknown) => void (failed ??= e instanceof Error ? e : new Error(String(e))),
      )
      .finally(() => {
        window.release();
        acks.delete(p);
      });
    acks.add(p);
  };
  const push = async (piece: MossPiece): Promise<void> => {
    pieces.push(piece);
    bytes += piece.data.byteLength;
    if (bytes >= batchBytes || pieces.length >= batchPieces) await flush(false);
  };

  // coloc 2: this task's own shard cache (it lives as long as the task).
  const shards = b.coloc === 2 ? new ShardCache(MOSS_SENDER_SHARD_CACHE_BYTES) : undefined;
  const reads = new ReadAhead<ItemSource>(b.indices.length, MOSS_SENDER_READ_AHEAD, (k) => readLocal(storage, workers, b.items[k]!, shards));
  try {
    for (let k = 0; k < b.indices.length; k++) {
      const i = b.indices[k]!;
      signal.throwIfAborted();
      if (failed) throw failed;
      const it = b.items[k]!;
      let src;
      try {
        src = await reads.take(k);
      } catch (e) {
        await push({ i, off: 0, size: 0, end: true, mtimeMs: 0, data: new Uint8Array(0), err: errorToWire(e) });
        continue;
      }
      if (src.data || src.size === 0) {
        src.stream?.destroy(); // (an empty file inside a shard comes as an empty stream)
        await push({ i, off: 0, size: src.size, end: true, mtimeMs: src.mtimeMs, data: src.data ?? new Uint8Array(0) });
        continue;
      }
      let off = 0;
      try {
        for await (const chunk of cut(src.stream!, MOSS_MSG_BYTES)) {
          const data = chunk.subarray(0, src.size - off); // never past the size the DT was told
          off += data.byteLength;
          await push({ i, off: off - data.byteLength, size: src.size, end: off === src.size, mtimeMs: src.mtimeMs, data });
          if (off === src.size) break;
        }
        if (off !== src.size) throw new ErrInternal(`x-moss ${b.xid}: ${it.bck.name}/${it.objname}${it.archpath ? `/${it.archpath}` : ''} ended after ${off} of ${src.size} bytes`);
      } catch (e) {
        if (signal.aborted || failed || off === src.size) throw e;
        // The DT learns it at once (rather than waiting max_wait for a piece that never comes).
        await push({ i, off, size: src.size, end: true, mtimeMs: src.mtimeMs, data: new Uint8Array(0), err: errorToWire(e) });
      }
    }
    // (no empty closing message: the DT may be done with the last item already)
    if (pieces.length > 0) await flush(true);
  } catch (e) {
    reads.discard((src) => src.stream?.destroy());
    throw e;
  }
  while (acks.size > 0) await Promise.all(acks);
  if (failed) throw failed;
}

/** Re-chunks a stream into pieces of exactly `n` bytes (the last may be shorter). */
async function* cut(stream: AsyncIterable<unknown>, n: number): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let have = 0;
  for await (const c of stream) {
    let buf = c as Uint8Array;
    while (buf.byteLength > 0) {
      const take = Math.min(buf.byteLength, n - have);
      parts.push(buf.subarray(0, take));
      have += take;
      buf = buf.subarray(take);
      if (have === n) {
        yield parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        parts = [];
        have = 0;
      }
    }
  }
  if (have > 0) yield parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
