// Streaming hashes whose state can hop between threads: hash-wasm hashers `save()` their internal
// state to bytes and `load()` it elsewhere, so a pool thread can continue a stream's md5/sha256
// where the previous batch (on any thread) left it, and the order of chunks is kept by the caller.
import { createHash } from 'node:crypto';
import { createMD5, createSHA256, type IHasher } from 'hash-wasm';
import type { StreamHashType, StreamHasher, WorkerCallOptions } from '../../types.ts';

export type HashStepTask = { op: 'hash'; type: StreamHashType; state: Uint8Array | undefined; data: Uint8Array; final: boolean };

/** One hasher per type per thread: a task runs synchronously once it exists, so sharing is safe. */
const hashers = new Map<StreamHashType, IHasher>();

/** Continues `state` (or starts) with `data`: the next state, or the hex digest when `final`. */
export async function hashStep(task: HashStepTask): Promise<Uint8Array | string> {
  let h = hashers.get(task.type);
  if (!h) {
    h = task.type === 'md5' ? await createMD5() : await createSHA256();
    hashers.set(task.type, h);
  }
  if (task.state) h.load(task.state);
  else h.init();
  h.update(task.data);
  return task.final ? h.digest('hex') : h.save();
}

/** Everything on the calling thread (node:crypto; no state ever needs to move). */
export function inlineStreamHasher(type: StreamHashType, open: () => void): StreamHasher {
  const h = createHash(type);
  return {
    update: async (chunk) => {
      open();
      h.update(chunk);
    },
    digest: async () => (open(), h.digest('hex')),
  };
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Chunks are gathered into batches of at least `minBytes` (a chunk that big goes alone) and each
 * batch is hashed on the pool, continuing the saved state. A stream that never reaches `minBytes`
 * is hashed inline at `digest()` with node:crypto (no thread hop, no wasm instance).
 */
export function pooledStreamHasher(
  type: StreamHashType,
  minBytes: number,
  run: (task: HashStepTask, opts: WorkerCallOptions) => Promise<Uint8Array | string>,
): StreamHasher {
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  let state: Uint8Array | undefined;
  let offloaded = false;
  let inflight: Promise<void> = Promise.resolve();

  /** Queues `data` after the previous batch; resolves when the previous one is done (one in flight). */
  const offload = (data: Uint8Array, transfer: boolean): Promise<void> => {
    const prev = inflight;
    offloaded = true;
    inflight = prev.then(async () => {
      state = (await run({ op: 'hash', type, state, data, final: false }, { transfer })) as Uint8Array;
    });
    // An abandoned stream must not leave an unhandled rejection; whoever awaits still sees it.
    inflight.catch(() => {});
    return prev;
  };
  const flushBatch = (): Promise<void> => {
    const data = concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    return offload(data, true);
  };

  return {
    update: (chunk) => {
      if (chunk.length >= minBytes) {
        if (batchBytes > 0) void flushBatch();
        // the caller still owns the chunk (it goes on downstream): copied for the hop, never transferred
        return offload(chunk, false);
      }
      batch.push(chunk);
      batchBytes += chunk.length;
      return batchBytes >= minBytes ? flushBatch() : Promise.resolve();
    },
    digest: async () => {
      await inflight;
      if (!offloaded) {
        const h = createHash(type);
        for (const c of batch) h.update(c);
        return h.digest('hex');
      }
      const rest = concat(batch, batchBytes);
      batch = [];
      batchBytes = 0;
      return (await run({ op: 'hash', type, state, data: rest, final: true }, { transfer: true })) as string;
    },
  };
}
