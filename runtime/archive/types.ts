// The archive interfaces GetBatch builds on (issue 7; shapes fixed in the shared design).
import type { Readable } from 'node:stream';

export interface ArchiveWriter {
  /** The archive bytes, back-pressured: nothing is produced faster than it is read. */
  readonly output: Readable;
  /** One entry; resolves once its bytes were taken (back-pressure). Calls queue in call order. */
  add(name: string, data: Uint8Array | Readable, size: number, mtimeMs: number): Promise<void>;
  /** Writes the trailer (after every queued `add`); the output then ends. */
  finish(): Promise<void>;
  /** Fails the output stream with `err` (a half-written archive is unusable); pending adds reject. */
  abort(err: Error): void;
}

/** A shard's bytes, read by range (an object on a mountpath, or an in-memory buffer in tests). */
export interface RandomAccess {
  size: number;
  read(start: number, length: number): Promise<Uint8Array>;
  /** Bytes [start, end) — `end` exclusive, defaults to the end. */
  stream(start?: number, end?: number): Readable;
}

/** One file found inside a shard. */
export interface ArchivedFile {
  size: number;
  /** Bytes [start, end) of the extracted file (end exclusive, defaults to its size). */
  open(start?: number, end?: number): Readable;
}
