// The S3 view of a bucket listing: keys and CommonPrefixes in one ordered sequence, after a marker,
// cut at max-keys. Built on the native fan-out listing (../list.ts). With delimiter "/" the targets
// fold directories themselves (non-recursive listing); any other delimiter is folded here, and a
// folded prefix is skipped by re-listing after it instead of reading every key inside it.
import { EntryFlag, LIST_PAGE_SIZE_MAX, LsFlag } from '../../../protocol/apc.ts';
import type { LsoPageEntry } from '../../../protocol/intra.ts';
import type { NodeCore } from '../../common/node-core.ts';
import { listObjects } from '../list.ts';
import { compareUtf8 } from '../../target/storage/list.ts';

/** Sorts after every name that starts with a prefix: a start-after that skips the whole prefix. */
const AFTER_ALL = '\u{10FFFF}';
/** Listing rounds per S3 page (each folded prefix may cost one); past it the page ends truncated. */
export const WALK_ROUNDS_MAX = 2_100;
/**
 * Page size right after skipping a folded prefix (proxy folding): the next prefix may be just as
 * close, so ask for little and grow (x2 per page without a fold) up to what the S3 page still needs.
 */
const RELIST_PAGE_SIZE_MIN = 32;
/** What the S3 listings need of each object. */
const WALK_PROPS = 'name,size,last-modified,etag';

export interface WalkItem {
  /** The key, or the common prefix (ends with the delimiter). */
  key: string;
  /** Undefined for a common prefix. */
  obj?: LsoPageEntry;
}

export interface WalkParams {
  prefix: string;
  delimiter: string;
  /** Exclusive; a marker inside a common prefix skips that prefix (as S3). */
  after: string;
  maxKeys: number;
}

export interface WalkResult {
  items: WalkItem[];
  /** More keys or prefixes follow the last item. */
  truncated: boolean;
}

export async function walkS3(core: NodeCore, bck: { provider: string; name: string }, p: WalkParams): Promise<WalkResult> {
  const items: WalkItem[] = [];
  if (p.maxKeys === 0) return { items, truncated: false };
  const targetsFold = p.delimiter === '/';
  // everything <= cursor is consumed (and, for a common prefix, everything inside it); names compare
  // as UTF-8 bytes, the order the targets' indexes keep and S3 lists in
  let cursor = p.after;
  let pageSize = LIST_PAGE_SIZE_MAX;
  for (let round = 0; round < WALK_ROUNDS_MAX; round++) {
    const want = Math.min(p.maxKeys - items.length + 1, LIST_PAGE_SIZE_MAX, pageSize);
    const res = await listObjects(
      core,
      bck,
      {
        prefix: p.prefix,
        start_after: targetStartAfter(cursor, p.prefix, targetsFold),
        pagesize: want,
        props: WALK_PROPS,
        flags: targetsFold ? String(LsFlag.noRecursion) : '0',
      },
      () => '',
    );
    let relist = false;
    for (const e of res.entries) {
      if (compareUtf8(e.n, cursor) <= 0) continue;
      const cp = targetsFold ? (((e.f ?? 0) & EntryFlag.isDir) !== 0 ? e.n : undefined) : commonPrefix(e.n, p.prefix, p.delimiter);
      if (cp !== undefined && !targetsFold) {
        // skip the rest of this prefix with a new listing after it
        const seen = compareUtf8(cp, cursor) <= 0;
        cursor = cp + AFTER_ALL;
        relist = true;
        if (seen) break;
        if (items.length === p.maxKeys) return { items, truncated: true };
        items.push({ key: cp });
        break;
      }
      if (items.length === p.maxKeys) return { items, truncated: true };
      items.push(cp !== undefined ? { key: cp } : { key: e.n, obj: e });
      cursor = e.n;
    }
    if (!relist && res.token === '') return { items, truncated: false };
    pageSize = relist ? RELIST_PAGE_SIZE_MIN : pageSize * 2;
  }
  return { items, truncated: true };
}

/** `prefix + rest-up-to-and-including-delimiter` when the key has the delimiter after the prefix. */
export function commonPrefix(key: string, prefix: string, delimiter: string): string | undefined {
  if (delimiter === '' || !key.startsWith(prefix)) return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i < 0 ? undefined : key.slice(0, i + delimiter.length);
}

/**
 * In folding mode a target takes a start-after ending in "/" as a folded directory and skips all
 * inside it. That is right only for a directory below the prefix; any other such marker (the prefix
 * itself, a directory above it) is sent without its trailing slashes and the surplus filtered here.
 */
function targetStartAfter(cursor: string, prefix: string, targetsFold: boolean): string {
  if (!targetsFold || !cursor.endsWith('/')) return cursor;
  if (cursor.startsWith(prefix) && cursor.length > prefix.length) return cursor;
  return cursor.replace(/\/+$/, '');
}
