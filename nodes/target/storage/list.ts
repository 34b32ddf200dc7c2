// Listing is a sorted range scan of the mountpath indexes (keys = object unames), merged k-way:
// never a directory walk. Keys sort as UTF-8 bytes (LMDB, AIS/Go string order), so the merge
// compares in that order too, not in JS UTF-16 order.
import { bckUname } from '../../../protocol/bmd.ts';
import { assert } from '../../../protocol/errors.ts';
import type { KvIndex } from '../../../runtime/env/types.ts';
import { withAtime, type StorageCtx } from './ctx.ts';
import type { BckRef } from './layout.ts';
import { decodeLom, type ObjMeta } from './lom.ts';

/** Largest page one scan returns (AIS's max page size is 10 000; callers may ask a bit more for look-ahead). */
export const LIST_LIMIT_MAX = 100_000;

export interface ListOpts {
  prefix?: string;
  /** Only names strictly greater than this (the previous page's last name). */
  startAfter?: string;
  limit: number;
}

export interface ListEntry {
  name: string;
  meta: ObjMeta;
}

/** Compares two strings in UTF-8 byte order (= code point order). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (supplementary code points) sort after U+E000..U+FFFF in code point order.
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

interface Scan {
  iter: Iterator<{ key: string; value: Uint8Array }>;
  cur: { key: string; value: Uint8Array } | undefined;
}

/** Calls `visit` for up to `opts.limit` index entries of `bck`, in name order, deduplicated. */
function scan(ctx: StorageCtx, bck: BckRef, opts: ListOpts, keysOnly: boolean, visit: (key: string, value: Uint8Array) => void): void {
  assert(Number.isSafeInteger(opts.limit) && opts.limit > 0 && opts.limit <= LIST_LIMIT_MAX, `list: bad limit ${opts.limit}`);
  const bckPrefix = bckUname(bck.provider, bck.name);
  const keyPrefix = bckPrefix + (opts.prefix ?? '');
  const afterKey = opts.startAfter !== undefined ? bckPrefix + opts.startAfter : undefined;
  const start = afterKey !== undefined && compareUtf8(afterKey, keyPrefix) > 0 ? afterKey : keyPrefix;
  // +1: the first key may be startAfter itself, which is skipped.
  const rangeLimit = opts.limit + 1;

  const scans: Scan[] = [];
  const next = (s: Scan): void => {
    const r = s.iter.next();
    s.cur = r.done || !r.value.key.startsWith(keyPrefix) ? undefined : r.value;
    if (s.cur && s.cur.key === afterKey) next(s);
  };
  try {
    for (const mp of ctx.mountpaths) {
      const s: Scan = { iter: mp.index.range({ start, limit: rangeLimit, keysOnly })[Symbol.iterator](), cur: undefined };
      scans.push(s);
      next(s);
    }
    let count = 0;
    let last: string | undefined;
    while (count < opts.limit) {
      let min: Scan | undefined;
      for (const s of scans) {
        if (s.cur && (!min || compareUtf8(s.cur.key, min.cur!.key) < 0)) min = s;
      }
      if (!min) break;
      const { key, value } = min.cur!;
      next(min);
      if (key === last) continue; // the same object on two mountpaths (before resilver): list once
      last = key;
      visit(key, value);
      count++;
    }
  } finally {
    for (const s of scans) s.iter.return?.(); // closes the index cursors
  }
}

export function listObjects(ctx: StorageCtx, bck: BckRef, opts: ListOpts): ListEntry[] {
  const out: ListEntry[] = [];
  const skip = bckUname(bck.provider, bck.name).length;
  scan(ctx, bck, opts, false, (key, value) => {
    out.push({ name: key.slice(skip), meta: withAtime(ctx, key, decodeLom(value)) });
  });
  return out;
}

export function listNames(ctx: StorageCtx, bck: BckRef, opts: ListOpts): string[] {
  const out: string[] = [];
  const skip = bckUname(bck.provider, bck.name).length;
  scan(ctx, bck, opts, true, (key) => {
    out.push(key.slice(skip));
  });
  return out;
}

/** Every key of a bucket on one index, in batches (destroy). */
export function bucketKeys(index: KvIndex, bck: BckRef, limit: number): string[] {
  const prefix = bckUname(bck.provider, bck.name);
  const out: string[] = [];
  for (const { key } of index.range({ start: prefix, limit, keysOnly: true })) {
    if (!key.startsWith(prefix)) break;
    out.push(key);
  }
  return out;
}
