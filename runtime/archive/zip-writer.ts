// The .zip writer over yazl. Entries are STORED, not deflated: yazl deflates with node:zlib streams
// outside the worker pool (and outside the sim's control), GetBatch payloads are mostly compressed
// media already, and stored entries with known sizes keep the output a pure byte copy. Each entry
// streams through a PassThrough we feed with back-pressure; a data descriptor carries its CRC.
import { Buffer } from 'node:buffer';
import { PassThrough, type Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { ErrInvalidArgument, InvariantError, assert } from '../../protocol/errors.ts';
import { AbortGate, toError } from './abort-gate.ts';
import type { ArchiveWriter } from './types.ts';

const ZIP_FILE_MODE = 0o100644;
/** Bytes of one entry buffered ahead of yazl. */
const ZIP_ENTRY_HIGH_WATER_MARK_BYTES = 256 * 1024;
/** Slices of an in-memory entry: keeps each write to the PassThrough bounded. */
const ZIP_BUFFER_SLICE_BYTES = 256 * 1024;

export class ZipWriter implements ArchiveWriter {
  private readonly zip = new ZipFile();
  private readonly gate = new AbortGate();
  /** yazl's output is a PassThrough (typed as the old NodeJS.ReadableStream). */
  private readonly out = this.zip.outputStream as unknown as PassThrough;
  private queue: Promise<void> = Promise.resolve();
  private finishing = false;
  /** Names refused before anything of the entry was written: the archive goes on. */
  private readonly refused = new WeakSet<Error>();

  constructor() {
    this.zip.on('error', (err: Error) => this.abort(err));
    this.out.on('close', () => {
      if (!this.out.readableEnded) this.abort(new Error('archive output closed before the end'));
    });
  }

  get output(): Readable {
    return this.out;
  }

  add(name: string, data: Uint8Array | Readable, size: number, mtimeMs: number): Promise<void> {
    if (this.finishing) return Promise.reject(new InvariantError(`archive add(${name}) after finish`));
    const run = this.queue.then(() => this.addNow(name, data, size, mtimeMs)).catch((err: unknown) => {
      // A bad name is refused before any byte is out; anything else leaves a broken archive, and
      // every caller learns the first failure (not a follow-up such as "destroyed").
      const e = toError(err);
      if (this.refused.has(e)) throw e;
      this.abort(e);
      throw this.gate.error ?? e;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async finish(): Promise<void> {
    this.finishing = true;
    await this.queue;
    this.gate.throwIfAborted();
    // The trailer is handed to the output at once; 'finish' = all of it went through into the
    // output's read buffer (not: was read out).
    const written = new Promise<void>((resolve) => this.out.once('finish', () => resolve()));
    this.zip.end();
    await this.gate.race(written);
  }

  private refuse(err: Error): Error {
    this.refused.add(err);
    return err;
  }

  abort(err: Error): void {
    if (this.gate.error !== undefined) return;
    this.gate.abort(err);
    if (!this.out.destroyed) this.out.destroy(err);
  }

  private async addNow(name: string, data: Uint8Array | Readable, size: number, mtimeMs: number): Promise<void> {
    this.gate.throwIfAborted();
    assert(Number.isSafeInteger(size) && size >= 0, `archive entry ${name}: bad size ${size}`);
    if (name === '') throw this.refuse(new ErrInvalidArgument('archive entry with an empty name'));
    if (data instanceof Uint8Array) assert(data.byteLength === size, `archive entry ${name}: ${data.byteLength} bytes given, size says ${size}`);
    const feed = new PassThrough({ highWaterMark: ZIP_ENTRY_HIGH_WATER_MARK_BYTES });
    const consumed = new Promise<void>((resolve, reject) => {
      feed.once('end', () => resolve());
      feed.once('error', reject);
    });
    consumed.catch(() => undefined);
    try {
      // yazl validates the name (no '..', no leading '/') and throws synchronously.
      this.zip.addReadStreamLazy(name, { mtime: new Date(mtimeMs), mode: ZIP_FILE_MODE, compress: false, size }, (cb) => cb(null, feed));
    } catch (err) {
      throw this.refuse(new ErrInvalidArgument(`archive entry ${JSON.stringify(name)}: ${toError(err).message}`));
    }
    try {
      let written = 0;
      const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = data instanceof Uint8Array ? slices(data) : (data as AsyncIterable<Uint8Array>);
      for await (const chunk of chunks) {
        written += chunk.byteLength;
        if (written > size) throw new Error(`archive entry ${name}: more than ${size} bytes`);
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (!feed.write(buf)) await this.gate.race(new Promise<void>((resolve) => feed.once('drain', () => resolve())));
      }
      if (written !== size) throw new Error(`archive entry ${name}: ${written} bytes, expected ${size}`);
      feed.end();
      await this.gate.race(consumed);
    } catch (err) {
      if (!(data instanceof Uint8Array)) data.destroy();
      throw err; // add() aborts: the local header is out, a short or failed entry leaves the zip unusable
    }
  }
}

function* slices(data: Uint8Array): Iterable<Uint8Array> {
  for (let at = 0; at < data.byteLength; at += ZIP_BUFFER_SLICE_BYTES) yield data.subarray(at, Math.min(data.byteLength, at + ZIP_BUFFER_SLICE_BYTES));
}
