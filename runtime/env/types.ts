// The Env is the only door from runtime/, actors/ and nodes/ to the world: time, timers, randomness,
// sockets and files. Production binds it to the real thing (runtime/env/real); sim/ binds it to a
// virtual clock, a seeded PRNG, a simulated network and in-memory disks.
import type { Readable } from 'node:stream';
import type { HttpHandler, HttpServerOptions } from '../http/types.ts';
import type { CksumType } from '../../protocol/apc.ts';

export interface Clock {
  /** Milliseconds from an arbitrary origin; never goes backwards. Use for durations. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch (may drift in sim). Use for stamps such as atime. */
  realtimeMs(): number;
  /** Wall-clock nanoseconds since the epoch (AIS `Ais-Atime`, `utm`). */
  realtimeNs(): bigint;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Timer API; shaped so that it can be passed to xstate as its `clock`. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /** Resolves after `ms` (a timer through this Env, never a real one in sim). */
  sleep(ms: number): Promise<void>;
}

export interface Random {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Random bytes (ids, nonces). */
  bytes(n: number): Uint8Array;
}

export interface FileStat {
  size: number;
  mtimeMs: number;
  isFile: boolean;
  isDirectory: boolean;
}

export interface DirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
}

/** An open file for sequential writes (work files). */
export interface WritableFile {
  write(data: Uint8Array): Promise<void>;
  /** Writes the chunks in order, in as few calls as the OS allows (no concatenation copy). */
  writev(chunks: Uint8Array[]): Promise<void>;
  /** fsync: data reaches stable storage (unsynced writes are what a sim crash loses). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FsStats {
  totalBytes: number;
  freeBytes: number;
}

/** Sorted key-value index (per mountpath object metadata); keys sort as UTF-8 bytes. */
export interface KvIndex {
  get(key: string): Uint8Array | undefined;
  put(key: string, value: Uint8Array): Promise<void>;
  remove(key: string): Promise<void>;
  /** Keys >= start and < end (end optional), ascending, at most `limit`. */
  range(opts: { start: string; end?: string; limit?: number; keysOnly?: boolean }): Iterable<{ key: string; value: Uint8Array }>;
  /** Waits for every write so far to be durable. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface Disk {
  mkdir(path: string): Promise<void>; // recursive, ok if exists
  stat(path: string): Promise<FileStat | undefined>;
  readdir(path: string): Promise<DirEntry[]>;
  readFile(path: string): Promise<Uint8Array>;
  /** Write whole file atomically: temp + fsync + rename. */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  openWrite(path: string): Promise<WritableFile>;
  createReadStream(path: string, range?: { start: number; end: number }): Readable;
  /** Reads up to `length` bytes at `start` in one go (small objects); fewer at end of file. */
  readRange(path: string, start: number, length: number): Promise<Uint8Array>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>; // ok if missing
  rmrf(path: string): Promise<void>;
  statfs(path: string): Promise<FsStats>;
  openIndex(dir: string): Promise<KvIndex>;
}

/** A message connection between nodes (WebSocket in production, a queue in sim). Frames are bytes. */
export interface MsgSocket {
  send(frame: Uint8Array): void;
  /** Bytes queued but not yet handed to the network (flow control). */
  bufferedAmount(): number;
  close(): void;
  onMessage(cb: (frame: Uint8Array) => void): void;
  onClose(cb: (reason: string) => void): void;
  onOpen(cb: () => void): void;
  readonly isOpen: boolean;
}

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

export interface HttpClientRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | Readable;
  timeoutMs?: number;
}

export interface HttpClientResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

export interface Net {
  serveHttp(host: string, port: number, handler: HttpHandler, opts: HttpServerOptions): Promise<Listener>;
  /** Outgoing HTTP (reverse proxy mode, health checks); no redirects followed. */
  request(req: HttpClientRequest): Promise<HttpClientResponse>;
  listenMsg(host: string, port: number, onConnection: (sock: MsgSocket, remote: string) => void): Promise<Listener>;
  connectMsg(url: string): MsgSocket;
}

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** A logger whose lines also carry these fields (e.g. `{ actor: 'root/metasync' }`). */
  child(bindings: Record<string, string | number>): Logger;
}

/** Compression codecs of `Workers`: gzip (zlib) and lz4 (LZ4 frame format, readable by the `lz4` CLI). */
export type WorkerCodec = 'gzip' | 'lz4';

/** Per-call options of `Workers`. */
export interface WorkerCallOptions {
  /**
   * The caller gives up `data`: it may be transferred to a pool thread and read as detached
   * (length 0) afterwards. Without it a large buffer is copied once before the hop.
   */
  transfer?: boolean;
}

/** Hashes a `Workers.hashStream` computes (S3 ETag md5, x-amz-content-sha256). */
export type StreamHashType = 'md5' | 'sha256';

/**
 * One stream's running hash. Chunks are hashed in the order given; big batches on a pool thread
 * (the hash state travels with the task), small ones on the calling thread.
 */
export interface StreamHasher {
  /**
   * Adds the next chunk (kept by reference until hashed: do not modify it). Resolves when the hasher
   * can take more: awaiting it bounds the work in flight to one batch.
   */
  update(chunk: Uint8Array): Promise<void>;
  /** Lowercase hex digest of everything added; call once, after the last update. */
  digest(): Promise<string>;
}

/**
 * CPU-heavy work on whole buffers, off the event loop when that pays (the real binding runs small
 * buffers inline; the fake one always runs inline).
 */
export interface Workers {
  /** Checksum of a buffer (md5, sha256, sha512 go to the pool; xxhash/crc32c stay inline, faster than a hop). */
  cksum(type: CksumType, data: Uint8Array, opts?: WorkerCallOptions): Promise<string>;
  compress(codec: WorkerCodec, data: Uint8Array, opts?: WorkerCallOptions): Promise<Uint8Array>;
  /** gzip: any gzip stream; lz4: frames written by `compress` (independent blocks, content size). */
  decompress(codec: WorkerCodec, data: Uint8Array, opts?: WorkerCallOptions): Promise<Uint8Array>;
  /**
   * A running hash of a stream of chunks (batches at or above the cksum threshold go to the pool).
   * `sizeHint`: the stream's total bytes when known; a short stream is hashed inline.
   */
  hashStream(type: StreamHashType, sizeHint?: number): StreamHasher;
  /** Stops the threads; calls after close reject. */
  close(): Promise<void>;
}

export interface Env {
  readonly nodeId: string;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly disk: Disk;
  readonly net: Net;
  readonly log: Logger;
  readonly workers: Workers;
}
