// FROZEN COPY of runtime/archive/tar-writer.ts before the P2 rewrite (kept only as the byte-for-byte reference of tar-identity.test.ts).
// The tar family writer (.tar, .tgz/.tar.gz, .tar.lz4): ustar headers and padding laid out here (a
// small entry is one buffer, and consecutive small entries are coalesced into one output write); for
// the compressed formats the tar bytes are cut into blocks and each block becomes one gzip member or
// one LZ4 frame, compressed in the worker pool. Concatenated gzip members are one valid gzip stream
// (RFC 1952 §2.2) and concatenated LZ4 frames one valid .lz4 file, so `tar -xzf` / `lz4 -d` read it.
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { ErrInvalidArgument, InvariantError, assert } from '../../../../../protocol/errors.ts';
import type { WorkerCodec, Workers } from '../../../../../runtime/env/types.ts';
import { AbortGate, toError } from '../../../../../runtime/archive/abort-gate.ts';
import { Outlet } from './outlet.ts';
import type { ArchiveWriter } from '../../../../../runtime/archive/types.ts';
import { fileHeader, padding, TAR_BLOCK } from './tar-header.ts';

/** Output bytes buffered ahead of the reader. */
export const ARCHIVE_OUTPUT_HIGH_WATER_MARK_BYTES = 256 * 1024;
/** Tar bytes per gzip member / LZ4 frame: big enough to compress well and to pay for a pool hop. */
export const ARCHIVE_COMPRESS_BLOCK_BYTES = 1024 * 1024;
/** The first block is small and blocks double from there: a streamed batch shows its first bytes early. */
export const ARCHIVE_COMPRESS_FIRST_BLOCK_BYTES = 64 * 1024;
/** Blocks being compressed at once (the pool has 2 threads); bounds memory to ~this many blocks. */
export const ARCHIVE_COMPRESS_IN_FLIGHT_MAX = 2;
const TAR_FILE_MODE = 0o644;
/** Entries up to this size are copied into one buffer with their header and padding. */
export const TAR_SMALL_ENTRY_BYTES = 64 * 1024;
/** Small entries written back to back are coalesced into output writes of up to this size. */
export const TAR_COALESCE_BYTES = 64 * 1024;

type Sink = { write(chunk: Uint8Array): Promise<void>; end(): Promise<void> };

/** A Buffer view of the same memory (tar-stream copies anything that is not a Buffer). */
function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Tar bytes straight to the output. */
function plainSink(outlet: Outlet): Sink {
  return { write: (chunk) => outlet.push(chunk), end: async () => undefined };
}

/** Tar bytes → fixed-size blocks → compressed in the pool (bounded in flight) → output in order. */
function blockSink(outlet: Outlet, workers: Workers, codec: WorkerCodec, gate: AbortGate): Sink {
  let blockBytes = ARCHIVE_COMPRESS_FIRST_BLOCK_BYTES;
  let block = new Uint8Array(blockBytes);
  let filled = 0;
  const inFlight: Promise<Uint8Array>[] = [];

  const drainOne = async (): Promise<void> => {
    const head = inFlight.shift();
    assert(head !== undefined, 'drainOne with nothing in flight');
    await outlet.push(await gate.race(head));
  };
  const seal = async (): Promise<void> => {
    if (filled === 0) return;
    const data = filled === block.byteLength ? block : block.subarray(0, filled);
    const p = workers.compress(codec, data, { transfer: data === block });
    p.catch(() => undefined); // awaited in order by drainOne; an early failure must not go unhandled
    inFlight.push(p);
    blockBytes = Math.min(ARCHIVE_COMPRESS_BLOCK_BYTES, blockBytes * 2);
    block = new Uint8Array(blockBytes);
    filled = 0;
    while (inFlight.length >= ARCHIVE_COMPRESS_IN_FLIGHT_MAX) await drainOne();
  };
  return {
    async write(chunk) {
      let at = 0;
      while (at < chunk.byteLength) {
        const n = Math.min(chunk.byteLength - at, block.byteLength - filled);
        block.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === block.byteLength) await seal();
      }
    },
    async end() {
      await seal();
      while (inFlight.length > 0) await drainOne();
    },
  };
}

export class TarWriter implements ArchiveWriter {
  private readonly outlet = new Outlet(ARCHIVE_OUTPUT_HIGH_WATER_MARK_BYTES);
  private readonly gate = new AbortGate();
  private readonly sink: Sink;
  /** The tail of the queue of adds: entries go into the tar strictly one after another. */
  private queue: Promise<void> = Promise.resolve();
  /** Adds queued and not yet written (the coalescing buffer is flushed when none is left). */
  private queued = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private finishing = false;
  /** Names refused before anything of the entry was written: the archive goes on. */
  private readonly refused = new WeakSet<Error>();

  constructor(workers: Workers, codec: WorkerCodec | undefined) {
    this.sink = codec === undefined ? plainSink(this.outlet) : blockSink(this.outlet, workers, codec, this.gate);
    // A reader that goes away (client disconnect) must not leave adds waiting on back-pressure.
    this.outlet.readable.on('close', () => {
      if (!this.outlet.readable.readableEnded) this.abort(new Error('archive output closed before the end'));
    });
  }

  get output(): Readable {
    return this.outlet.readable;
  }

  add(name: string, data: Uint8Array | Readable, size: number, mtimeMs: number): Promise<void> {
    if (this.finishing) return Promise.reject(new InvariantError(`archive add(${name}) after finish`));
    this.queued++;
    const run = this.queue
      .then(async () => {
        await this.addNow(name, data, size, mtimeMs);
        // Nothing else to write right now: what was coalesced goes out (a stream shows its bytes early).
        if (this.queued === 1) await this.flush();
      })
      .catch((err: unknown) => {
        // A bad name is refused before any byte is out; anything else leaves a broken archive, and
        // every caller learns the first failure (not a follow-up such as "destroyed").
        const e = toError(err);
        if (this.refused.has(e)) throw e;
        this.abort(e);
        throw this.gate.error ?? e;
      })
      .finally(() => this.queued--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async finish(): Promise<void> {
    this.finishing = true;
    await this.queue;
    this.gate.throwIfAborted();
    try {
      await this.write(new Uint8Array(2 * TAR_BLOCK)); // end-of-archive: two zero blocks
      await this.flush();
      await this.gate.race(this.sink.end());
      this.gate.throwIfAborted();
      this.outlet.end();
    } catch (err) {
      this.abort(toError(err));
      throw this.gate.error ?? err;
    }
  }

  private refuse(err: Error): Error {
    this.refused.add(err);
    return err;
  }

  abort(err: Error): void {
    if (this.gate.error !== undefined) return;
    this.gate.abort(err);
    this.pending = [];
    this.pendingBytes = 0;
    this.outlet.destroy(err);
  }

  /** Small chunks wait in the coalescing buffer; a big one flushes it and goes out as it is. */
  private async write(chunk: Uint8Array): Promise<void> {
    this.gate.throwIfAborted();
    // (its 'close' event, which aborts us, comes a tick later)
    if (this.outlet.readable.destroyed) throw new Error('archive output closed before the end');
    if (chunk.byteLength < TAR_COALESCE_BYTES) {
      if (this.pendingBytes + chunk.byteLength > TAR_COALESCE_BYTES) await this.flush();
      this.pending.push(chunk);
      this.pendingBytes += chunk.byteLength;
      return;
    }
    await this.flush();
    await this.gate.race(this.sink.write(chunk));
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const parts = this.pending;
    const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.gate.throwIfAborted();
    await this.gate.race(this.sink.write(out));
  }

  private async addNow(name: string, data: Uint8Array | Readable, size: number, mtimeMs: number): Promise<void> {
    this.gate.throwIfAborted();
    assert(Number.isSafeInteger(size) && size >= 0, `archive entry ${name}: bad size ${size}`);
    if (name === '') throw this.refuse(new ErrInvalidArgument('archive entry with an empty name'));
    const header = fileHeader(name, size, TAR_FILE_MODE, mtimeMs);
    const pad = padding(size);
    if (!(data instanceof Uint8Array)) return this.streamEntry(name, header, size, pad, data);
    assert(data.byteLength === size, `archive entry ${name}: ${data.byteLength} bytes given, size says ${size}`);
    if (size <= TAR_SMALL_ENTRY_BYTES) {
      const buf = Buffer.allocUnsafe(header.byteLength + size + pad);
      buf.set(header, 0);
      buf.set(data, header.byteLength);
      buf.fill(0, header.byteLength + size);
      return this.write(buf);
    }
    await this.write(header);
    await this.write(data);
    if (pad > 0) await this.write(new Uint8Array(pad));
  }

  private async streamEntry(name: string, header: Uint8Array, size: number, pad: number, data: Readable): Promise<void> {
    await this.write(header);
    let written = 0;
    try {
      for await (const chunk of data as AsyncIterable<Uint8Array>) {
        written += chunk.byteLength;
        if (written > size) throw new Error(`archive entry ${name}: more than ${size} bytes`);
        await this.write(chunk);
      }
    } catch (err) {
      data.destroy();
      throw err;
    }
    if (written !== size) throw new Error(`archive entry ${name}: ${written} bytes, expected ${size}`);
    if (pad > 0) await this.write(new Uint8Array(pad));
  }
}
