// Object GET and checksum validation. The index answers first (no filesystem walk); the file is
// then streamed, optionally a byte range. atime is recorded lazily (atime.ts).
import type { Readable } from 'node:stream';
import { bckUname } from '../../../protocol/bmd.ts';
import { ErrBadCksum, ErrObjNotFound, ErrRangeNotSatisfiable } from '../../../protocol/errors.ts';
import { locate, withAtime, type Located, type StorageCtx } from './ctx.ts';
import { objPath, objUname, type BckRef } from './layout.ts';
import type { ObjMeta } from './lom.ts';
import { readChunks, validateChunks } from './chunks.ts';

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (HTTP `Range: bytes=start-end`). */
  end: number;
}

/** Objects (or ranges) up to this size are read in one call into one buffer, not streamed. */
export const SMALL_READ_BYTES_MAX = 4 * 1024 * 1024;

export interface GetResult {
  meta: ObjMeta;
  /** The bytes, for small reads; otherwise `stream`. */
  data?: Uint8Array;
  stream?: Readable;
  /** The range actually served (end clamped to the object's last byte); absent for a full read. */
  range?: ByteRange;
}

function notFound(bck: BckRef, objName: string): ErrObjNotFound {
  return new ErrObjNotFound(bckUname(bck.provider, bck.name).slice(0, -1), objName);
}

/**
 * Metadata and a checked file: when the index says present but the file is gone, the entry is
 * dropped and the object is not found. A size mismatch is re-checked under the name lock, since
 * a concurrent PUT renames its file before it writes the index.
 */
async function locateChecked(ctx: StorageCtx, bck: BckRef, objName: string): Promise<Located> {
  const uname = objUname(bck, objName);
  const loc = locate(ctx, uname);
  if (!loc) throw notFound(bck, objName);
  const st = await ctx.env.disk.stat(objPath(loc.mountpath.path, bck, objName));
  if (st?.isFile && st.size === loc.meta.size) return loc;
  return ctx.locks.run(uname, async () => {
    const again = locate(ctx, uname);
    if (!again) throw notFound(bck, objName);
    const st2 = await ctx.env.disk.stat(objPath(again.mountpath.path, bck, objName));
    if (!st2?.isFile) {
      await again.mountpath.index.remove(uname);
      ctx.atimes.drop(uname);
      ctx.env.log.warn({ bck: bck.name, objName }, 'object file missing: metadata dropped');
      throw notFound(bck, objName);
    }
    if (st2.size !== again.meta.size) {
      throw new ErrBadCksum(`BAD DATA: "${objName}" has ${st2.size} bytes on disk, ${again.meta.size} in its metadata`);
    }
    return again;
  });
}

export async function getObject(ctx: StorageCtx, bck: BckRef, objName: string, range?: ByteRange): Promise<GetResult> {
  const uname = objUname(bck, objName);
  const chunked = locate(ctx, uname);
  if (chunked?.meta.chunks) return getChunked(ctx, chunked, uname, objName, bck, range);
  const fast = await readSmall(ctx, bck, objName, uname, range);
  if (fast) return fast;
  const loc = await locateChecked(ctx, bck, objName);
  let served: ByteRange | undefined;
  if (range) {
    const size = loc.meta.size;
    if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.start > range.end || range.start >= size) {
      throw new ErrRangeNotSatisfiable(`range ${range.start}-${range.end} is not satisfiable for "${objName}" of ${size} bytes`);
    }
    served = { start: range.start, end: Math.min(range.end, size - 1) };
  }
  const now = ctx.env.clock.realtimeNs();
  const meta = withAtime(ctx, uname, loc.meta);
  if (ctx.atimes.record(uname, loc.mountpath, now)) ctx.onAtimeBatchFull();
  const stream = ctx.env.disk.createReadStream(objPath(loc.mountpath.path, bck, objName), served);
  return { meta, stream, range: served }; // meta as before this access, as AIS reports it
}

/** A chunked object (chunks.ts): always streamed across its chunk files. */
function getChunked(ctx: StorageCtx, loc: Located, uname: string, objName: string, bck: BckRef, range?: ByteRange): GetResult {
  const size = loc.meta.size;
  let served: ByteRange | undefined;
  if (range) {
    if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.start > range.end || range.start >= size) {
      throw new ErrRangeNotSatisfiable(`range ${range.start}-${range.end} is not satisfiable for "${objName}" of ${size} bytes`);
    }
    served = { start: range.start, end: Math.min(range.end, size - 1) };
  }
  const meta = withAtime(ctx, uname, loc.meta);
  if (ctx.atimes.record(uname, loc.mountpath, ctx.env.clock.realtimeNs())) ctx.onAtimeBatchFull();
  return { meta, stream: readChunks(ctx, loc.mountpath.path, bck, objName, loc.meta, served), range: served };
}

/**
 * Small objects: one read of the whole range (no stat, no stream). The read asks for one byte more
 * than the metadata says is there, so a file that changed size is caught without a stat; anything
 * unexpected falls back to the checked path.
 */
async function readSmall(ctx: StorageCtx, bck: BckRef, objName: string, uname: string, range?: ByteRange): Promise<GetResult | undefined> {
  const loc = locate(ctx, uname);
  if (!loc) throw notFound(bck, objName);
  const size = loc.meta.size;
  const start = range ? range.start : 0;
  const end = range ? Math.min(range.end, size - 1) : size - 1;
  if (range && (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.start > range.end || range.start >= size)) {
    throw new ErrRangeNotSatisfiable(`range ${range.start}-${range.end} is not satisfiable for "${objName}" of ${size} bytes`);
  }
  const length = end - start + 1;
  if (length > SMALL_READ_BYTES_MAX) return undefined;
  const wholeFile = !range;
  let data: Uint8Array;
  try {
    data = await ctx.env.disk.readRange(objPath(loc.mountpath.path, bck, objName), start, wholeFile ? length + 1 : length);
  } catch {
    return undefined; // missing or unreadable: the checked path decides what to report
  }
  if (data.byteLength !== length) return undefined;
  const meta = withAtime(ctx, uname, loc.meta);
  if (ctx.atimes.record(uname, loc.mountpath, ctx.env.clock.realtimeNs())) ctx.onAtimeBatchFull();
  return { meta, data, range: range ? { start, end } : undefined };
}

/** Re-reads the object and recomputes its checksum; a mismatch (or a size change) is ErrBadCksum. */
export async function validateObject(ctx: StorageCtx, bck: BckRef, objName: string): Promise<void> {
  const chunked = locate(ctx, objUname(bck, objName));
  if (chunked?.meta.chunks) return validateChunks(ctx, chunked.mountpath.path, bck, objName, chunked.meta);
  const loc = await locateChecked(ctx, bck, objName);
  const { meta } = loc;
  const c = await ctx.cksums.acquire(meta.cksumType);
  let size = 0;
  let got: string;
  try {
    const stream = ctx.env.disk.createReadStream(objPath(loc.mountpath.path, bck, objName));
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      c.update(chunk);
      size += chunk.byteLength;
    }
    got = c.digest();
  } finally {
    ctx.cksums.release(c);
  }
  // A disk that changed an object's bytes is a fault to report, not a crash of ours.
  if (size !== meta.size) {
    throw new ErrBadCksum(`BAD DATA: "${objName}" read back ${size} bytes, ${meta.size} in its metadata`);
  }
  if (meta.cksumType === 'none') return;
  if (got !== meta.cksumValue) {
    throw new ErrBadCksum(`BAD DATA CHECKSUM: ${meta.cksumType}(${got} != ${meta.cksumValue})`);
  }
}
