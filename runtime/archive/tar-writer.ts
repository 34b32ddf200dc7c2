// The tar family writer (.tar, .tgz/.tar.gz, .tar.lz4): tar-stream lays out headers and padding; for
// the compressed formats the tar bytes are cut into blocks and each block becomes one gzip member or
// one LZ4 frame, compressed in the worker pool. Concatenated gzip members are one valid gzip stream
// (RFC 1952 §2.2) and concatenated LZ4 frames one valid .lz4 file, so `tar -xzf` / `lz4 -d` read it.
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { pack as tarPack, type Pack } from 'tar-stream';
import { ErrInvalidArgument, InvariantError, assert } from '../../protocol/errors.ts';
import type { WorkerCodec, Workers } from '../env/types.ts';
import { AbortGate, toError } from './abort-gate.ts';
import { Outlet } from './outlet.ts';
import type { ArchiveWriter } from './types.ts';

/** Output bytes buffered ahead of the reader. */
export const ARCHIVE_OUTPUT_HIGH_WATER_MARK_BYTES = 256 * 1024;
/** Tar bytes per gzip member / LZ4 frame: big enough to compress well and to pay for a pool hop. */
export const ARCHIVE_COMPRESS_BLOCK_BYTES = 1024 * 1024;
/** The first block is small and blocks double from there: a streamed batch shows its first bytes early. */
export const ARCHIVE_COMPRESS_FIRST_BLOCK_BYTES = 64 * 1024;
/** Blocks being compressed at once (the pool has 2 threads); bounds memory to ~this many blocks. */
export const ARCHIVE_COMPRESS_IN_FLIGHT_MAX = 2;
const TAR_FILE_MODE = 0o644;

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
  private readonly pack: Pack = tarPack();
  private readonly gate = new AbortGate();
  private readonly pumped: Promise<void>;
  /** The tail of the queue of adds: entries go into the tar strictly one after another. */
  private queue: Promise<void> = Promise.resolve();
  private finishing = false;
  /** Names refused before anything of the entry was written: the archive goes on. */
  private readonly refused = new WeakSet<Error>();

  constructor(workers: Workers, codec: WorkerCodec | undefined) {
    const sink = codec === undefined ? plainSink(this.outlet) : blockSink(this.outlet, workers, codec, this.gate);
    // streamx emits 'error' on destroy; failures reach callers through the entry callbacks and the gate.
    this.pack.on('error', () => undefined);
    this.pumped = this.pump(sink);
    this.pumped.catch((err: unknown) => this.abort(toError(err)));
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
    this.pack.finalize();
    await this.gate.race(this.pumped);
  }

  private refuse(err: Error): Error {
    this.refused.add(err);
    return err;
  }

  abort(err: Error): void {
    if (this.gate.error !== undefined) return;
    this.gate.abort(err);
    this.pack.destroy(err);
    this.outlet.destroy(err);
  }

  private async addNow(name: string, data: Uint8Array | Readable, size: number, mtimeMs: number): Promise<void> {
    this.gate.throwIfAborted();
    assert(Number.isSafeInteger(size) && size >= 0, `archive entry ${name}: bad size ${size}`);
    if (name === '') throw this.refuse(new ErrInvalidArgument('archive entry with an empty name'));
    const header = { name, size, mode: TAR_FILE_MODE, mtime: new Date(mtimeMs), type: 'file' as const };
    if (!(data instanceof Uint8Array)) return this.gate.race(this.streamEntry(header, data));
    assert(data.byteLength === size, `archive entry ${name}: ${data.byteLength} bytes given, size says ${size}`);
    const entryDone = new Promise<void>((resolve, reject) => {
      const entry = this.pack.entry(header, asBuffer(data), (e) => (e ? reject(e) : resolve()));
      entry.on('error', () => undefined); // reported through the callback
    });
    await this.gate.race(entryDone);
  }

  private async streamEntry(header: { name: string; size: number }, data: Readable): Promise<void> {
    const gate = this.gate;
    let entryCb: (e?: Error | null) => void = () => undefined;
    const done = new Promise<void>((resolve, reject) => {
      entryCb = (e) => (e ? reject(e) : resolve());
    });
    done.catch(() => undefined); // awaited below, or the entry failed and the add already threw
    const entry = this.pack.entry(header, (e) => entryCb(e));
    entry.on('error', () => undefined); // reported through entryCb
    let written = 0;
    try {
      for await (const chunk of data as AsyncIterable<Uint8Array>) {
        written += chunk.byteLength;
        if (written > header.size) throw new Error(`archive entry ${header.name}: more than ${header.size} bytes`);
        if (!entry.write(asBuffer(chunk))) await gate.race(new Promise<void>((resolve) => entry.once('drain', () => resolve())));
      }
    } catch (err) {
      entry.destroy(toError(err));
      data.destroy();
      throw err;
    }
    if (written !== header.size) {
      const err = new Error(`archive entry ${header.name}: ${written} bytes, expected ${header.size}`);
      entry.destroy(err);
      throw err;
    }
    entry.end(undefined);
    await done;
  }

  private async pump(sink: Sink): Promise<void> {
    for await (const chunk of this.pack as AsyncIterable<Uint8Array>) {
      await sink.write(chunk);
      this.gate.throwIfAborted();
    }
    this.gate.throwIfAborted();
    await sink.end();
    this.outlet.end();
  }
}
