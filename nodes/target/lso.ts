// Target side of list-objects: one sorted page from the metadata indexes (a range scan), with
// non-recursive mode folding deeper names into virtual directories.
import { EntryFlag } from '../../protocol/apc.ts';
import type { LsoPageEntry, LsoPageRequest, LsoPageResponse } from '../../protocol/intra.ts';
import type { Storage, ObjMeta } from './storage/storage.ts';
import { etagOf } from '../../protocol/s3/meta.ts';

/** Sorts after every name that starts with `dir` (UTF-8 order): skip a whole virtual directory. */
const AFTER_ALL = '\u{10FFFF}';

function entry(name: string, meta: ObjMeta, props: readonly string[], location: string): LsoPageEntry {
  const e: LsoPageEntry = { n: name };
  for (const p of props) {
    if (p === 'size') e.s = meta.size;
    else if (p === 'checksum') e.cs = meta.cksumValue;
    else if (p === 'atime') e.a = meta.atimeNs;
    else if (p === 'version') e.v = meta.version;
    else if (p === 'custom') e.m = meta.customMd;
    else if (p === 'location') e.t = location;
    else if (p === 'last-modified') e.lm = meta.mtimeMs;
    else if (p === 'etag') {
      const etag = etagOf(meta);
      if (etag !== undefined) e.e = etag;
    }
  }
  return e;
}

export function lsoPage(storage: Storage, req: LsoPageRequest, location: string): LsoPageResponse {
  const bck = req.bck;
  const namesOnly = req.props.length === 0;
  if (!req.nr) {
    if (namesOnly) {
      const names = storage.listNames(bck, { prefix: req.prefix, startAfter: req.start_after, limit: req.limit });
      return { entries: names.map((n) => ({ n })), more: names.length === req.limit };
    }
    const objs = storage.list(bck, { prefix: req.prefix, startAfter: req.start_after, limit: req.limit });
    return { entries: objs.map((o) => entry(o.name, o.meta, req.props, location)), more: objs.length === req.limit };
  }
  // Non-recursive: a token that names a directory resumes after everything inside it.
  const out: LsoPageEntry[] = [];
  let cursor = req.start_after.endsWith('/') ? req.start_after + AFTER_ALL : req.start_after;
  while (out.length < req.limit) {
    const want = req.limit - out.length;
    const batch = storage.list(bck, { prefix: req.prefix, startAfter: cursor, limit: want });
    let jumped = false;
    for (const o of batch) {
      const rest = o.name.slice(req.prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) {
        const dir = req.prefix + rest.slice(0, slash + 1);
        out.push({ n: dir, f: EntryFlag.isDir });
        cursor = dir + AFTER_ALL;
        jumped = true;
        break;
      }
      out.push(entry(o.name, o.meta, req.props, location));
      cursor = o.name;
    }
    if (!jumped && batch.length < want) return { entries: out, more: false };
  }
  return { entries: out, more: true };
}
