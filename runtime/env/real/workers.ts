// The real Workers binding: a piscina pool of worker threads for checksums and compression of whole
// buffers. Below a measured size the hop (task dispatch + copy) costs more than it frees the event
// loop, so small buffers are done inline on the calling thread.
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { CksumType } from '../../../protocol/apc.ts';
import type { WorkerCallOptions, WorkerCodec, Workers } from '../types.ts';
import { cksumInline, compressInline, decompressInline } from './workers/ops.ts';
import { inlineStreamHasher, pooledStreamHasher } from './workers/stream-hash.ts';
import type { WorkerTask } from './workers/task.ts';

/** Pool threads: the target boxes have 2 cores and the event loop needs one of them too. */
export const WORKER_THREADS_MAX = 2;
/** Tasks queued beyond the threads before `run` rejects (back-pressure instead of unbounded memory). */
export const WORKER_QUEUE_LENGTH_MAX = 1024;
/*
 * Thresholds, measured with `npm run bench -- --op pool` (2 shared cores, 2 pool threads, runs vary
 * ±30 %; ratios are pool/inline throughput at 4 concurrent callers):
 * - a hop costs ~0.1 ms of main-thread time (copy + post + wake-up): at 4 KiB the pool reaches
 *   0.2-0.6x of inline for every op, at 16 KiB 0.35-0.5x for the hashes;
 * - md5 (0.73 GB/s inline): 0.7-1.4x from 256 KiB; sha256 (1.7 GB/s inline, SHA-NI): 0.6-1.2x, the
 *   copy costs about as much as the hash, so the gain is the free event loop, not throughput;
 * - lz4 (0.5-0.65 GB/s inline): 1.1-1.5x from 256 KiB, 0.9x at 64 KiB;
 * - gzip (50-120 MB/s inline): 1.0-1.3x from 16-64 KiB, and 64 KiB inline already blocks the loop ~1 ms.
 * On 2 cores the pool can at best add the second core; what it buys is an event loop that keeps
 * answering while a large object is hashed or compressed.
 */
/** md5/sha256/sha512 below this run inline (256 KiB inline: ≤ 0.35 ms of md5 on the event loop). */
export const CKSUM_OFFLOAD_BYTES_MIN = 256 * 1024;
/**
 * A stream whose declared size is below this is hashed inline (node:crypto md5 ~0.7 GB/s): measured
 * with `npm run bench -- --op s3`, a pool hop per 256 KiB plus hash-wasm's slower md5 (state moved
 * with save/load) cost more main-thread and total CPU than they free for bodies of a few MiB.
 */
export const STREAM_HASH_OFFLOAD_BYTES_MIN = 8 * 1024 * 1024;
/** lz4 (both ways) below this runs inline. */
export const COMPRESS_OFFLOAD_BYTES_MIN = 256 * 1024;
/** gzip (both ways) below this runs inline: gzip is ~10x slower than lz4, so the hop pays earlier. */
export const GZIP_OFFLOAD_BYTES_MIN = 64 * 1024;
/** These are faster inline than a thread hop at any size (xxhash ~6 GB/s). */
const CKSUM_INLINE_ALWAYS: ReadonlySet<CksumType> = new Set(['none', 'xxhash', 'xxhash2', 'crc32c']);

const TASK_FILE = new URL('./workers/task.ts', import.meta.url);

/** V8 heap sizing flags: per process; a Worker given one fails to start ("invalid execArgv flags"). */
const HEAP_SIZE_FLAG = /^--(initial|max|min)-(old|semi|young)-space-size(=|$)|^--(initial|max)-heap-size(=|$)/;

/**
 * Threads inherit the process's flags (`--import tsx` is what lets them load task.ts), minus the
 * ones that only make sense for a main script given on the command line, and the heap sizing ones
 * (nodes start with those: nodes/heap-flags.ts).
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  return execArgv.filter((a) => !a.startsWith('--input-type') && !a.startsWith('--test') && !HEAP_SIZE_FLAG.test(a));
}

export interface RealWorkersOptions {
  maxThreads?: number;
  cksumOffloadBytesMin?: number;
  compressOffloadBytesMin?: number;
  gzipOffloadBytesMin?: number;
}

export class WorkersClosedError extends Error {
  override name = 'WorkersClosedError';
}

export interface RealWorkers extends Workers {
  /** The pool's thread ids (for tests and the inspection UI); empty until the first offload. */
  readonly threadIds: readonly number[];
  /** The pool's threads themselves (tests watch them exit on close). */
  readonly threads: readonly Worker[];
}

/**
 * A buffer the pool may take: the caller's own if it gave it up and the view spans its whole
 * ArrayBuffer, else a copy (a copy is ~8x cheaper than a structured clone).
 */
function transferable(data: Uint8Array, opts: WorkerCallOptions | undefined): Uint8Array {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
  return opts?.transfer === true && whole ? data : new Uint8Array(data);
}

export function createRealWorkers(opts: RealWorkersOptions = {}): RealWorkers {
  const maxThreads = opts.maxThreads ?? WORKER_THREADS_MAX;
  const cksumMin = opts.cksumOffloadBytesMin ?? CKSUM_OFFLOAD_BYTES_MIN;
  const compressMin = opts.compressOffloadBytesMin ?? COMPRESS_OFFLOAD_BYTES_MIN;
  const gzipMin = opts.gzipOffloadBytesMin ?? GZIP_OFFLOAD_BYTES_MIN;
  // Threads start lazily (a node that never checksums a big object never pays for them), then stay:
  // piscina would otherwise end idle threads and pay ~30 ms to start one per burst.
  let pool: Piscina | undefined;
  let closed = false;
  /** Set when a pool thread failed outside a task (e.g. could not load task.ts): later offloads reject. */
  let failure: Error | undefined;

  const run = async <R>(task: WorkerTask, opts: WorkerCallOptions | undefined): Promise<R> => {
    if (closed) throw new WorkersClosedError('workers closed');
    if (failure) throw failure;
    if (!pool) {
      pool = new Piscina({ filename: TASK_FILE.href, minThreads: maxThreads, maxThreads, maxQueue: WORKER_QUEUE_LENGTH_MAX, execArgv: workerExecArgv() });
      // A thread that cannot start emits 'error' on the pool; unheard, that would kill the process.
      pool.on('error', (err: unknown) => {
        failure = err instanceof Error ? err : new Error(String(err));
      });
    }
    const data = transferable(task.data, opts);
    return (await pool.run({ ...task, data }, { transferList: [data.buffer as ArrayBuffer] })) as R;
  };

  const offloadCompress = (codec: WorkerCodec, data: Uint8Array): boolean =>
    maxThreads > 0 && data.byteLength >= (codec === 'gzip' ? gzipMin : compressMin);

  return {
    get threadIds() {
      return pool ? pool.threads.map((t) => t.threadId) : [];
    },
    get threads() {
      return pool ? [...pool.threads] : [];
    },
    cksum: async (type, data, o) => {
      if (CKSUM_INLINE_ALWAYS.has(type) || data.byteLength < cksumMin || maxThreads <= 0) {
        if (closed) throw new WorkersClosedError('workers closed');
        return cksumInline(type, data);
      }
      return run<string>({ op: 'cksum', type, data }, o);
    },
    compress: async (codec: WorkerCodec, data, o) => {
      if (!offloadCompress(codec, data)) {
        if (closed) throw new WorkersClosedError('workers closed');
        return compressInline(codec, data);
      }
      return run<Uint8Array>({ op: 'compress', codec, data }, o);
    },
    decompress: async (codec: WorkerCodec, data, o) => {
      if (!offloadCompress(codec, data)) {
        if (closed) throw new WorkersClosedError('workers closed');
        return decompressInline(codec, data);
      }
      return run<Uint8Array>({ op: 'decompress', codec, data }, o);
    },
    hashStream: (type, sizeHint) => {
      const open = (): void => {
        if (closed) throw new WorkersClosedError('workers closed');
      };
      if (maxThreads <= 0 || (sizeHint !== undefined && sizeHint < STREAM_HASH_OFFLOAD_BYTES_MIN)) return inlineStreamHasher(type, open);
      return pooledStreamHasher(type, cksumMin, (task, o) => run<Uint8Array | string>(task, o));
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool?.close();
      pool = undefined;
    },
  };
}

/**
 * Everything inline on the calling thread, no pool: for tests, tools and the simulator (same results
 * as the pool, no threads to close).
 */
export function inlineWorkers(): Workers {
  let closed = false;
  const open = (): void => {
    if (closed) throw new WorkersClosedError('workers closed');
  };
  return {
    cksum: async (type, data) => (open(), cksumInline(type, data)),
    compress: async (codec, data) => (open(), compressInline(codec, data)),
    decompress: async (codec, data) => (open(), decompressInline(codec, data)),
    hashStream: (type) => inlineStreamHasher(type, open),
    close: async () => {
      closed = true;
    },
  };
}
