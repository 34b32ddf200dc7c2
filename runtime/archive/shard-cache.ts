// A GetBatch work item's hot shards (coloc 2, AIS "shard-aware": archpaths are collocated in few
// shards). Without it every member re-opens its shard: a .tar is re-scanned from its first header,
// a .tgz/.tar.lz4 decoded from its start (quadratic in the members asked), a .zip re-reads its
// central directory. Per shard version this keeps, LRU under one byte budget:
//   .tar                     its member index; members are range reads of the object
//   .tgz/.tar.gz/.tar.lz4    its decoded tar bytes and index, when they fit; members are slices
//   .zip                     its central directory; a member is a local header + data read
// Anything it cannot hold (too big, corrupt, not an archive) goes today's way (`findArchived`), which
// also gives the very same errors. The cache lives and dies with one work item (or sender task).
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { ErrRangeNotSatisfiable } from '../../protocol/errors.ts';
import type { Workers } from '../env/types.ts';
import { findArchived, seekingInput, shardMime, tarBytes } from './find.ts';
import { ArchiveFormatError } from './format-error.ts';
import { walkTar, type TarHit, type TarInput } from './tar-read.ts';
import type { ArchivedFile, RandomAccess } from './types.ts';
import { indexZip, type ZipIndex } from './zip-read.ts';

/** Per work item (DT) and per sender task: what coloc 2 may hold in shards. */
export const SHARD_CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;
/** Rough cost of one index entry beyond its name (map slot, offsets). */
const INDEX_ENTRY_BYTES = 64;

/** A file found through the cache; `read` (when present) gets a range in one buffer, no stream. */
export interface CachedFile extends ArchivedFile {
  read?(start: number, end: number): Promise<Uint8Array>;
}

type Index = Map<string, TarHit>;
type Entry =
  | { kind: 'tar'; index: Index }
  | { kind: 'mem'; tar: Uint8Array; index: Index }
  | { kind: 'zip'; zip: ZipIndex }
  | { kind: 'none' };

interface Slot {
  entry: Promise<Entry>;
  /** Bytes of the budget it holds (grows while a shard is decoded). */
  bytes: number;
  settled: boolean;
}

export interface ShardCacheStats {
  /** Shards opened to be cached (one per shard version, unless evicted and asked again). */
  builds: number;
  hits: number;
  evictions: number;
}

/** What keeps a shard apart from another one, and from a rewrite of itself. */
export function shardKey(bucket: string, objname: string, size: number, mtimeMs: number): string {
  return JSON.stringify([bucket, objname, size, mtimeMs]);
}

/** namesEq: a leading '/' on either side does not count. */
function bare(name: string): string {
  return name.replace(/^\//, '');
}

function memInput(b: Uint8Array): TarInput {
  let pos = 0;
  return {
    get pos() {
      return pos;
    },
    async read(n) {
      if (pos >= b.byteLength) return undefined;
      if (pos + n > b.byteLength) throw new ArchiveFormatError(`corrupt tar: truncated at offset ${b.byteLength}`);
      pos += n;
      return b.subarray(pos - n, pos);
    },
    async skip(n) {
      if (pos + n > b.byteLength) throw new ArchiveFormatError(`corrupt tar: truncated at offset ${b.byteLength}`);
      pos += n;
    },
  };
}

async function indexTar(input: TarInput): Promise<{ index: Index; bytes: number }> {
  const index: Index = new Map();
  let bytes = 0;
  await walkTar(input, (name, hit) => {
    const k = bare(name);
    if (!index.has(k)) index.set(k, hit); // the first one wins, as a scan finds it
    bytes += 2 * name.length + INDEX_ENTRY_BYTES;
    return false;
  });
  return { index, bytes };
}

function checked(size: number, start: number, end: number): void {
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
    throw new ErrRangeNotSatisfiable(`range [${start}, ${end}) of an archived file of ${size} bytes`, size);
  }
}

export class ShardCache {
  readonly budget: number;
  readonly stats: ShardCacheStats = { builds: 0, hits: 0, evictions: 0 };
  /** Insertion order is recency: the first slot is the least recently used. */
  readonly #slots = new Map<string, Slot>();
  #held = 0;

  constructor(budget = SHARD_CACHE_BYTES_DEFAULT) {
    this.budget = budget;
  }

  /** Bytes held now (never above the budget). */
  get held(): number {
    return this.#held;
  }

  /**
   * As `findArchived`, with the shard (identified by `key`, see `shardKey`) kept for the next
   * members. Same results and errors; a member the cache cannot vouch for goes the uncached way.
   */
  async find(workers: Workers, key: string, shardName: string, src: RandomAccess, archpath: string): Promise<CachedFile | undefined> {
    const uncached = () => findArchived(workers, shardName, src, archpath);
    if (archpath === '') return uncached();
    const e = await this.#entry(key, shardName, src);
    try {
      switch (e.kind) {
        case 'none':
          return await uncached();
        case 'zip': {
          const f = await e.zip.find(archpath);
          return f === undefined ? undefined : { size: f.size, open: (s = 0, t = f.size) => (checked(f.size, s, t), f.open(s, t)) };
        }
        case 'tar': {
          const hit = e.index.get(bare(archpath));
          if (hit === undefined) return undefined;
          if (hit.offset + hit.size > src.size) return await uncached(); // corrupt: its error as today
          return rangeFile(hit, (s, t) => src.stream(s, t), (s, t) => src.read(s, t - s));
        }
        case 'mem': {
          const hit = e.index.get(bare(archpath));
          if (hit === undefined) return undefined;
          if (hit.offset + hit.size > e.tar.byteLength) return await uncached();
          const { tar } = e;
          // Views, no copies: a slice keeps the decoded shard alive only until it is written.
          const view = (s: number, t: number) => Buffer.from(tar.buffer, tar.byteOffset + s, t - s);
          return rangeFile(hit, (s, t) => Readable.from(t > s ? [view(s, t)] : [], { objectMode: false }), async (s, t) => view(s, t));
        }
      }
    } catch {
      // The cached view failed where today's path may say more precisely why (or succeed).
      return uncached();
    }
  }

  /** Drops everything (the work item ended). */
  clear(): void {
    this.#slots.clear();
    this.#held = 0;
  }

  #entry(key: string, shardName: string, src: RandomAccess): Promise<Entry> {
    const hit = this.#slots.get(key);
    if (hit !== undefined) {
      this.#slots.delete(key);
      this.#slots.set(key, hit);
      this.stats.hits++;
      return hit.entry;
    }
    this.stats.builds++;
    const slot: Slot = { entry: Promise.resolve<Entry>({ kind: 'none' }), bytes: 0, settled: false };
    slot.entry = this.#build(shardName, src, slot).then(
      (e) => {
        slot.settled = true;
        if (e.kind === 'none') this.#release(slot);
        return e;
      },
      () => {
        slot.settled = true;
        this.#release(slot);
        return { kind: 'none' } as const;
      },
    );
    this.#slots.set(key, slot);
    return slot.entry;
  }

  async #build(shardName: string, src: RandomAccess, slot: Slot): Promise<Entry> {
    const mime = await shardMime(shardName, src);
    switch (mime) {
      case undefined:
        return { kind: 'none' };
      case '.zip': {
        const zip = await indexZip(src);
        return this.#reserve(slot, zip.bytes) ? { kind: 'zip', zip } : { kind: 'none' };
      }
      case '.tar': {
        const { index, bytes } = await indexTar(seekingInput(src));
        return this.#reserve(slot, bytes) ? { kind: 'tar', index } : { kind: 'none' };
      }
      default: {
        // Decoded whole, as long as it fits: leaving the loop early closes the shard's stream.
        const parts: Uint8Array[] = [];
        for await (const c of tarBytes(mime, src)) {
          if (!this.#reserve(slot, c.byteLength)) return { kind: 'none' };
          parts.push(c);
        }
        const tar = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        parts.length = 0;
        const { index, bytes } = await indexTar(memInput(tar));
        return this.#reserve(slot, bytes) ? { kind: 'mem', tar, index } : { kind: 'none' };
      }
    }
  }

  /** Takes `n` more bytes for `slot`, evicting least recently used shards; false when they do not fit. */
  #reserve(slot: Slot, n: number): boolean {
    if (this.#held + n > this.budget) {
      for (const [k, s] of this.#slots) {
        if (this.#held + n <= this.budget) break;
        if (s === slot || !s.settled || s.bytes === 0) continue;
        this.#slots.delete(k);
        this.#held -= s.bytes;
        s.bytes = 0;
        this.stats.evictions++;
      }
      if (this.#held + n > this.budget) return false;
    }
    this.#held += n;
    slot.bytes += n;
    return true;
  }

  #release(slot: Slot): void {
    this.#held -= slot.bytes;
    slot.bytes = 0;
  }
}

function rangeFile(hit: TarHit, stream: (start: number, end: number) => Readable, read: (start: number, end: number) => Promise<Uint8Array>): CachedFile {
  const { offset, size } = hit;
  return {
    size,
    open(start = 0, end = size) {
      checked(size, start, end);
      return stream(offset + start, offset + end);
    },
    async read(start, end) {
      checked(size, start, end);
      return end > start ? read(offset + start, offset + end) : new Uint8Array(0);
    },
  };
}
