// The real Disk: node:fs for files, lmdb for the per-mountpath metadata index. This file and its
// siblings in runtime/env/real are the only code allowed to touch the filesystem directly.
import fs, { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { open as openLmdb, type RootDatabase } from 'lmdb';
import type { Disk, DirEntry, FileStat, FsStats, KvIndex, WritableFile } from '../types.ts';

/** Read chunk size of object streams: big enough to amortize syscalls, small enough for many GETs. */
export const READ_STREAM_HIGH_WATER_MARK_BYTES = 256 * 1024;

const EMPTY = new Uint8Array(0);

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

async function fsyncDirBestEffort(dir: string): Promise<void> {
  // Makes a rename durable; some filesystems refuse fsync on a directory, which is fine.
  try {
    const h = await fsp.open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // best effort
  }
}

/**
 * A work file on a raw fd with the callback fs API: measured at under half the CPU per MiB of
 * FileHandle writes (docs/performance.md), and writev takes a PUT's socket chunks without a copy.
 */
class RealWritableFile implements WritableFile {
  readonly #fd: number;
  #closed = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(data: Uint8Array): Promise<void> {
    return this.writev([data]);
  }

  writev(chunks: Uint8Array[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const loop = (bufs: Uint8Array[]): void => {
        fs.writev(this.#fd, bufs, (err, written) => {
          if (err) return reject(err);
          const rest = remainder(bufs, written);
          if (rest.length === 0) resolve();
          else loop(rest);
        });
      };
      loop(chunks);
    });
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fs.fsync(this.#fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve, reject) => fs.close(this.#fd, (err) => (err ? reject(err) : resolve())));
  }
}

/** What is left of `bufs` after a short write of `written` bytes. */
function remainder(bufs: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  for (let i = 0; i < bufs.length; i++) {
    const b = bufs[i]!;
    if (skip < b.byteLength) return [b.subarray(skip), ...bufs.slice(i + 1)];
    skip -= b.byteLength;
  }
  return [];
}

class LmdbIndex implements KvIndex {
  readonly #db: RootDatabase<Buffer, string>;
  readonly #dataFile: string;

  constructor(db: RootDatabase<Buffer, string>, dataFile: string) {
    this.#db = db;
    this.#dataFile = dataFile;
  }

  get(key: string): Uint8Array | undefined {
    return this.#db.get(key);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    // Concurrent puts in one event turn are batched by lmdb into one commit.
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return this.#db.put(key, buf).then(() => undefined);
  }

  remove(key: string): Promise<void> {
    return this.#db.remove(key).then(() => undefined);
  }

  range(opts: { start: string; end?: string; limit?: number; keysOnly?: boolean }): Iterable<{ key: string; value: Uint8Array }> {
    const ro = { start: opts.start, end: opts.end, limit: opts.limit };
    if (opts.keysOnly) return this.#db.getKeys(ro).map((key) => ({ key, value: EMPTY }));
    return this.#db.getRange(ro);
  }

  async flush(): Promise<void> {
    await this.#db.flushed;
    // opened with noSync: make the committed pages durable explicitly
    const h = await fsp.open(this.#dataFile, 'r+');
    try {
      await h.datasync();
    } finally {
      await h.close();
    }
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}

/** Reads up to this size are done synchronously (see readRange). */
export const SYNC_READ_BYTES_MAX = 1024 * 1024 + 1;

/** Reads up to this size land in the shared slab (readSlab) instead of a buffer of their own. */
export const SLAB_READ_BYTES_MAX = 64 * 1024;
/** One slab: many small reads per ArrayBuffer (above 4 KiB, Buffer.allocUnsafe is one each, ~4 µs + GC). */
const SLAB_BYTES = 1024 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let slabUsed = 0;

/**
 * Small reads go into the free tail of a module-level slab and are handed out as views; the slab
 * only advances (a region is never reused: callers keep their views), and a full slab is replaced,
 * the old one freed by GC once its last view dies. Safe because the read is synchronous.
 */
function readSlab(fd: number, start: number, length: number): Uint8Array {
  if (SLAB_BYTES - slabUsed < length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const off = slabUsed;
  const n = fs.readSync(fd, slab, off, length, start);
  slabUsed = off + n;
  return slab.subarray(off, off + n);
}

function readRangeSync(path: string, start: number, length: number): Uint8Array {
  const fd = fs.openSync(path, 'r');
  try {
    if (length <= SLAB_READ_BYTES_MAX) return readSlab(fd, start, length);
    const buf = Buffer.allocUnsafe(length);
    const n = fs.readSync(fd, buf, 0, length, start);
    return n === length ? buf : buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function openWrite(path: string): Promise<WritableFile> {
  return new Promise((resolve, reject) => fs.open(path, 'w', (err, fd) => (err ? reject(err) : resolve(new RealWritableFile(fd)))));
}

export function realDisk(): Disk {
  let tmpSeq = 0; // unique temp names for writeFileAtomic within this process

  return {
    async mkdir(path: string): Promise<void> {
      await fsp.mkdir(path, { recursive: true });
    },

    async stat(path: string): Promise<FileStat | undefined> {
      try {
        const st = await fsp.stat(path);
        return { size: st.size, mtimeMs: st.mtimeMs, isFile: st.isFile(), isDirectory: st.isDirectory() };
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw err;
      }
    },

    async readdir(path: string): Promise<DirEntry[]> {
      const ents = await fsp.readdir(path, { withFileTypes: true });
      return ents.map((e) => ({ name: e.name, isFile: e.isFile(), isDirectory: e.isDirectory() }));
    },

    readRange(path: string, start: number, length: number): Promise<Uint8Array> {
      // Small reads run synchronously: a page-cache hit costs ~5 µs of CPU this way against ~40 µs
      // through the thread pool (measured, docs/performance.md); a cold read blocks the loop for one
      // disk read of at most SYNC_READ_BYTES_MAX. Larger reads take the pool.
      if (length <= SYNC_READ_BYTES_MAX) {
        try {
          return Promise.resolve(readRangeSync(path, start, length));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return new Promise((resolve, reject) => {
        fs.open(path, 'r', (err, fd) => {
          if (err) return reject(err);
          const buf = Buffer.allocUnsafe(length);
          fs.read(fd, buf, 0, length, start, (rerr, n) => {
            fs.close(fd, () => (rerr ? reject(rerr) : resolve(n === length ? buf : buf.subarray(0, n))));
          });
        });
      });
    },

    async readFile(path: string): Promise<Uint8Array> {
      return fsp.readFile(path);
    },

    async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
      const tmp = `${path}.${process.pid}.${++tmpSeq}.tmp`;
      const f = await openWrite(tmp);
      try {
        await f.write(data);
        await f.sync();
        await f.close();
      } catch (err) {
        await f.close().catch(() => {});
        await fsp.unlink(tmp).catch(() => {});
        throw err;
      }
      try {
        await fsp.rename(tmp, path);
      } catch (err) {
        await fsp.unlink(tmp).catch(() => {});
        throw err;
      }
      await fsyncDirBestEffort(dirname(path));
    },

    openWrite,

    createReadStream(path: string, range?: { start: number; end: number }): Readable {
      return createReadStream(path, {
        start: range?.start,
        end: range?.end, // inclusive, as HTTP ranges
        highWaterMark: READ_STREAM_HIGH_WATER_MARK_BYTES,
      });
    },

    async rename(from: string, to: string): Promise<void> {
      await fsp.rename(from, to);
    },

    async unlink(path: string): Promise<void> {
      try {
        await fsp.unlink(path);
      } catch (err) {
        if (errCode(err) !== 'ENOENT') throw err;
      }
    },

    async rmrf(path: string): Promise<void> {
      await fsp.rm(path, { recursive: true, force: true });
    },

    async statfs(path: string): Promise<FsStats> {
      const s = await fsp.statfs(path);
      return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    },

    async openIndex(dir: string): Promise<KvIndex> {
      await fsp.mkdir(dir, { recursive: true });
      // noSubdir: false because lmdb would take a dir named like `.shoal.meta` for a file name.
      // noSync: commits reach the OS (they survive a process crash) without an fsync each, the same
      // durability as object data by default; flush() fsyncs when the write policy asks for it.
      const db = openLmdb<Buffer, string>({ path: dir, encoding: 'binary', compression: false, noSubdir: false, noSync: true });
      return new LmdbIndex(db, `${dir}/data.mdb`);
    },
  };
}
