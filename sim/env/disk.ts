// In-memory Disk of one simulated node: files as bytes, directories, and sorted KvIndexes. Tracks what
// is durable (synced) apart from what is merely written, so that a crash can later drop unsynced data.
import { Readable } from 'node:stream';
import type { Disk, DirEntry, FileStat, FsStats, KvIndex, WritableFile } from '../../runtime/env/types.ts';

/** Default capacity of a simulated disk (statfs). */
export const SIM_DISK_CAPACITY_BYTES_DEFAULT = 1024 ** 4;
/** Chunk size of read streams (as the real binding's highWaterMark). */
export const SIM_READ_CHUNK_BYTES = 256 * 1024;

const EMPTY = new Uint8Array(0);

/** An fs-style error (`code` as node:fs sets it) so that code checking `err.code` behaves as on a real disk. */
export class SimFsError extends Error {
  constructor(readonly code: string, readonly syscall: string, readonly path: string) {
    super(`${code}: simulated, ${syscall} '${path}'`);
  }
}

interface SimFile {
  /** Written bytes, in chunks (appended by writes; concatenated lazily). */
  chunks: Uint8Array[];
  size: number;
  mtimeMs: number;
  /** The content a crash would leave (last sync), or undefined if never synced. */
  durable: Uint8Array | undefined;
}

/** Already normal: absolute, no empty, `.` or `..` segment, no trailing slash (the common case, a hot spot). */
const NORMAL_PATH = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

function normalize(path: string): string {
  if (NORMAL_PATH.test(path)) return path;
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function contents(f: SimFile): Uint8Array {
  if (f.chunks.length === 1) return f.chunks[0]!;
  if (f.chunks.length === 0) return EMPTY;
  const out = new Uint8Array(f.size);
  let off = 0;
  for (const c of f.chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  f.chunks = [out];
  return out;
}

/** UTF-8 byte order of two strings (LMDB's key order); JS `<` differs only around surrogates. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF: they sort after every BMP char in UTF-8.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** A sorted in-memory key-value index; `durable` is what survived the last flush. */
export class SimKvIndex implements KvIndex {
  #keys: string[] = [];
  #values = new Map<string, Uint8Array>();
  /** Keys written or removed since the last flush (what a machine crash may lose). */
  readonly dirty = new Set<string>();
  /** Injected faults of index writes (put/remove/flush), set by the owning SimDisk. */
  fault: (() => Promise<void>) | undefined;
  /** Per dirty key, its value at the last flush (undefined: absent then). */
  readonly #flushed = new Map<string, Uint8Array | undefined>();
  closed = false;

  #touch(key: string): void {
    if (!this.dirty.has(key)) this.#flushed.set(key, this.#values.get(key));
    this.dirty.add(key);
  }

  /** Power loss: every key written or removed since the last flush gets its flushed state back. */
  loseUnflushed(): void {
    for (const [key, v] of this.#flushed) {
      const had = this.#values.has(key);
      if (v === undefined) {
        if (had) {
          this.#values.delete(key);
          this.#keys.splice(this.#lowerBound(key), 1);
        }
      } else {
        if (!had) this.#keys.splice(this.#lowerBound(key), 0, key);
        this.#values.set(key, v);
      }
    }
    this.#flushed.clear();
    this.dirty.clear();
  }

  get size(): number {
    return this.#keys.length;
  }

  get(key: string): Uint8Array | undefined {
    return this.#values.get(key);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    value = new Uint8Array(value); // the caller may reuse its buffer
    if (this.fault !== undefined) await this.fault();
    this.#touch(key);
    if (!this.#values.has(key)) this.#keys.splice(this.#lowerBound(key), 0, key);
    this.#values.set(key, value);
  }

  async remove(key: string): Promise<void> {
    if (this.fault !== undefined) await this.fault();
    if (!this.#values.has(key)) return;
    this.#touch(key);
    this.#values.delete(key);
    this.#keys.splice(this.#lowerBound(key), 1);
  }

  range(opts: { start: string; end?: string; limit?: number; keysOnly?: boolean }): Iterable<{ key: string; value: Uint8Array }> {
    // A snapshot: later writes do not show up in an iteration already started (as an LMDB read txn).
    const out: { key: string; value: Uint8Array }[] = [];
    const limit = opts.limit ?? Infinity;
    for (let i = this.#lowerBound(opts.start); i < this.#keys.length && out.length < limit; i++) {
      const key = this.#keys[i]!;
      if (opts.end !== undefined && compareUtf8(key, opts.end) >= 0) break;
      out.push({ key, value: opts.keysOnly ? EMPTY : this.#values.get(key)! });
    }
    return out;
  }

  async flush(): Promise<void> {
    if (this.fault !== undefined) await this.fault();
    this.dirty.clear();
    this.#flushed.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  #lowerBound(key: string): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareUtf8(this.#keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

class SimWritableFile implements WritableFile {
  #closed = false;
  constructor(readonly disk: SimDisk, readonly path: string, readonly file: SimFile) {}

  async write(data: Uint8Array): Promise<void> {
    return this.writev([data]);
  }

  async writev(chunks: Uint8Array[]): Promise<void> {
    if (this.#closed) throw new SimFsError('EBADF', 'write', this.path);
    for (const c of chunks) {
      if (c.byteLength === 0) continue;
      this.file.chunks.push(new Uint8Array(c)); // copy: the caller may reuse its buffer
      this.file.size += c.byteLength;
    }
    this.file.mtimeMs = this.disk.nowMs();
  }

  async sync(): Promise<void> {
    if (this.#closed) throw new SimFsError('EBADF', 'fsync', this.path);
    await this.disk.fault('sync', this.path);
    this.file.durable = contents(this.file);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/**
 * Disk operations a fault injector sees: file open/write/read/fsync, directory operations (mkdir,
 * stat, readdir, rename, unlink, rmrf, openIndex) and index writes (put/remove/flush; the path is the
 * index directory). Index reads never fail: LMDB serves them from its memory map.
 */
export type SimDiskOp = 'open' | 'write' | 'read' | 'sync' | 'dir' | 'index';

/** Injected disk faults (sim/faults.ts): an error code for an op, and slow I/O as virtual delay. */
export interface SimDiskFaults {
  /** An fs error code (`EIO`, `ENOSPC`) to fail this op with, or undefined. */
  error(op: SimDiskOp, path: string): string | undefined;
  /** A virtual-time delay before this op completes, or undefined (no delay). */
  delay(op: SimDiskOp, path: string): Promise<void> | undefined;
}

export interface SimDiskOptions {
  /** Realtime for mtimes. */
  nowMs: () => number;
  capacityBytes?: number;
}

export class SimDisk implements Disk {
  readonly #files = new Map<string, SimFile>();
  /** Directory → names of its entries. */
  readonly #dirs = new Map<string, Set<string>>([['/', new Set()]]);
  readonly #indexes = new Map<string, SimKvIndex>();
  readonly capacityBytes: number;
  readonly nowMs: () => number;
  #usedBytes = 0;
  #tmpSeq = 0;
  /** Fault injection (none by default). */
  faults: SimDiskFaults | undefined;

  /** @internal throws the injected error of `op` on `path`, after its injected delay. */
  async fault(op: SimDiskOp, path: string): Promise<void> {
    const f = this.faults;
    if (f === undefined) return;
    const d = f.delay(op, path);
    if (d !== undefined) await d;
    const code = f.error(op, path);
    if (code !== undefined) throw new SimFsError(code, op, path);
  }

  constructor(opts: SimDiskOptions) {
    this.nowMs = opts.nowMs;
    this.capacityBytes = opts.capacityBytes ?? SIM_DISK_CAPACITY_BYTES_DEFAULT;
  }

  /**
   * Power loss: every file gets its last synced content back (a never-synced file vanishes) and every
   * KV index loses its unflushed writes. Directory operations (mkdir, rename, unlink) count as
   * durable at once (a journaling filesystem's metadata; the model does not reorder them).
   */
  powerLoss(): void {
    for (const [p, f] of [...this.#files]) {
      if (f.durable === undefined) {
        this.#usedBytes -= f.size;
        this.#files.delete(p);
        this.#dirs.get(parentOf(p))?.delete(baseOf(p));
      } else if (f.durable.byteLength !== f.size || contents(f) !== f.durable) {
        this.#usedBytes += f.durable.byteLength - f.size;
        f.chunks = [f.durable];
        f.size = f.durable.byteLength;
      }
    }
    for (const idx of this.#indexes.values()) idx.loseUnflushed();
  }

  /** Size of the file at `path` (0 if none): what a read of it moves. */
  sizeOf(path: string): number {
    return this.#files.get(normalize(path))?.size ?? 0;
  }

  /** Every file path, sorted (tests, leak checks). */
  filePaths(): string[] {
    return [...this.#files.keys()].sort();
  }

  /** Files whose current content differs from their last synced content (what a crash would lose). */
  unsyncedPaths(): string[] {
    return [...this.#files.entries()].filter(([, f]) => f.durable === undefined || f.durable.byteLength !== f.size || f.durable !== contents(f)).map(([p]) => p).sort();
  }

  async mkdir(path: string): Promise<void> {
    await this.fault('dir', normalize(path));
    this.#mkdirp(normalize(path));
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const p = normalize(path);
    await this.fault('dir', p);
    const f = this.#files.get(p);
    if (f) return { size: f.size, mtimeMs: f.mtimeMs, isFile: true, isDirectory: false };
    if (this.#dirs.has(p)) return { size: 0, mtimeMs: 0, isFile: false, isDirectory: true };
    return undefined;
  }

  async readdir(path: string): Promise<DirEntry[]> {
    const p = normalize(path);
    await this.fault('dir', p);
    const names = this.#dirs.get(p);
    if (!names) throw new SimFsError(this.#files.has(p) ? 'ENOTDIR' : 'ENOENT', 'scandir', p);
    return [...names].sort().map((name) => {
      const child = p === '/' ? `/${name}` : `${p}/${name}`;
      const isDirectory = this.#dirs.has(child);
      return { name, isFile: !isDirectory, isDirectory };
    });
  }

  async readFile(path: string): Promise<Uint8Array> {
    const p = normalize(path);
    await this.fault('read', p);
    const f = this.#files.get(p);
    if (!f) throw new SimFsError(this.#dirs.has(p) ? 'EISDIR' : 'ENOENT', 'open', p);
    return Buffer.from(contents(f)); // a copy, as a read is
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    const p = normalize(path);
    const tmp = `${p}.sim.${++this.#tmpSeq}.tmp`;
    const w = await this.openWrite(tmp);
    try {
      await w.write(data);
      await w.sync();
      await w.close();
      await this.rename(tmp, p);
    } catch (err) {
      // as the real binding: a failed atomic write leaves no temp file behind
      await w.close();
      this.#unlinkNow(tmp);
      throw err;
    }
  }

  async openWrite(path: string): Promise<WritableFile> {
    const p = normalize(path);
    await this.fault('open', p);
    if (!this.#dirs.has(parentOf(p))) throw new SimFsError('ENOENT', 'open', p);
    if (this.#dirs.has(p)) throw new SimFsError('EISDIR', 'open', p);
    const old = this.#files.get(p);
    if (old) this.#usedBytes -= old.size;
    const f: SimFile = { chunks: [], size: 0, mtimeMs: this.nowMs(), durable: undefined };
    this.#files.set(p, f);
    this.#dirs.get(parentOf(p))!.add(baseOf(p));
    const w = new SimWritableFile(this, p, f);
    const origWritev = w.writev.bind(w);
    // keep #usedBytes in step with writes
    w.writev = async (chunks: Uint8Array[]) => {
      await this.fault('write', p);
      const before = f.size;
      await origWritev(chunks);
      this.#usedBytes += f.size - before;
    };
    return w;
  }

  createReadStream(path: string, range?: { start: number; end: number }): Readable {
    const p = normalize(path);
    const f = this.#files.get(p);
    if (!f) {
      const err = new SimFsError('ENOENT', 'open', p);
      return new Readable({
        read() {
          this.destroy(err);
        },
      });
    }
    const code = this.faults?.error('read', p);
    if (code !== undefined) {
      const err = new SimFsError(code, 'read', p);
      return new Readable({
        read() {
          this.destroy(err);
        },
      });
    }
    const all = contents(f);
    const start = range?.start ?? 0;
    const end = range === undefined ? all.byteLength : Math.min(all.byteLength, range.end + 1); // end is inclusive
    const bytes = Buffer.from(all.subarray(start, Math.max(start, end))); // a copy: the file may be rewritten
    const chunks: Buffer[] = [];
    for (let off = 0; off < bytes.byteLength; off += SIM_READ_CHUNK_BYTES) chunks.push(bytes.subarray(off, off + SIM_READ_CHUNK_BYTES));
    return Readable.from(chunks, { objectMode: false });
  }

  async readRange(path: string, start: number, length: number): Promise<Uint8Array> {
    const p = normalize(path);
    await this.fault('read', p);
    const f = this.#files.get(p);
    if (!f) throw new SimFsError(this.#dirs.has(p) ? 'EISDIR' : 'ENOENT', 'open', p);
    const all = contents(f);
    return Buffer.from(all.subarray(start, Math.min(all.byteLength, start + length)));
  }

  async rename(from: string, to: string): Promise<void> {
    const a = normalize(from);
    const b = normalize(to);
    await this.fault('dir', a);
    if (parentOf(a) !== parentOf(b)) await this.fault('dir', b);
    const f = this.#files.get(a);
    if (f) {
      if (!this.#dirs.has(parentOf(b))) throw new SimFsError('ENOENT', 'rename', b);
      if (this.#dirs.has(b)) throw new SimFsError('EISDIR', 'rename', b);
      const old = this.#files.get(b);
      if (old && old !== f) this.#usedBytes -= old.size;
      this.#files.delete(a);
      this.#dirs.get(parentOf(a))!.delete(baseOf(a));
      this.#files.set(b, f);
      this.#dirs.get(parentOf(b))!.add(baseOf(b));
      return;
    }
    if (this.#dirs.has(a)) {
      if (this.#files.has(b) || (this.#dirs.get(b)?.size ?? 0) > 0) throw new SimFsError('ENOTEMPTY', 'rename', b);
      if (!this.#dirs.has(parentOf(b))) throw new SimFsError('ENOENT', 'rename', b);
      this.#moveTree(a, b);
      return;
    }
    throw new SimFsError('ENOENT', 'rename', a);
  }

  async unlink(path: string): Promise<void> {
    const p = normalize(path);
    await this.fault('dir', p);
    if (this.#dirs.has(p)) throw new SimFsError('EISDIR', 'unlink', p);
    this.#unlinkNow(p);
  }

  #unlinkNow(p: string): void {
    const f = this.#files.get(p);
    if (!f) return;
    this.#usedBytes -= f.size;
    this.#files.delete(p);
    this.#dirs.get(parentOf(p))?.delete(baseOf(p));
  }

  async rmrf(path: string): Promise<void> {
    const p = normalize(path);
    await this.fault('dir', p);
    if (this.#files.has(p)) return this.#unlinkNow(p);
    if (!this.#dirs.has(p)) return;
    const prefix = p === '/' ? '/' : `${p}/`;
    for (const [fp, f] of [...this.#files]) {
      if (fp.startsWith(prefix)) {
        this.#usedBytes -= f.size;
        this.#files.delete(fp);
      }
    }
    for (const d of [...this.#dirs.keys()]) if (d.startsWith(prefix)) this.#dirs.delete(d);
    for (const d of [...this.#indexes.keys()]) if (d === p || d.startsWith(prefix)) this.#indexes.delete(d);
    if (p === '/') this.#dirs.set('/', new Set());
    else {
      this.#dirs.delete(p);
      this.#dirs.get(parentOf(p))?.delete(baseOf(p));
    }
  }

  async statfs(_path: string): Promise<FsStats> {
    return { totalBytes: this.capacityBytes, freeBytes: Math.max(0, this.capacityBytes - this.#usedBytes) };
  }

  async openIndex(dir: string): Promise<KvIndex> {
    const p = normalize(dir);
    await this.fault('dir', p);
    this.#mkdirp(p);
    // One index per directory, kept across close/reopen (a restarted node finds its metadata).
    let idx = this.#indexes.get(p);
    if (!idx) {
      idx = new SimKvIndex();
      idx.fault = () => this.fault('index', p);
      this.#indexes.set(p, idx);
    }
    idx.closed = false;
    return idx;
  }

  #mkdirp(p: string): void {
    if (this.#dirs.has(p)) return;
    if (this.#files.has(p)) throw new SimFsError('EEXIST', 'mkdir', p);
    const parent = parentOf(p);
    this.#mkdirp(parent);
    this.#dirs.set(p, new Set());
    this.#dirs.get(parent)!.add(baseOf(p));
  }

  #moveTree(a: string, b: string): void {
    const pa = `${a}/`;
    for (const [fp, f] of [...this.#files]) {
      if (!fp.startsWith(pa)) continue;
      this.#files.delete(fp);
      this.#files.set(b + fp.slice(a.length), f);
    }
    for (const [d, names] of [...this.#dirs]) {
      if (d !== a && !d.startsWith(pa)) continue;
      this.#dirs.delete(d);
      this.#dirs.set(b + d.slice(a.length), names);
    }
    this.#dirs.get(parentOf(a))!.delete(baseOf(a));
    this.#dirs.get(parentOf(b))!.add(baseOf(b));
  }
}
