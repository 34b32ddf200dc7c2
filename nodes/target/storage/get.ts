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

/** What a read serves: a byte range (inclusive end), `undefined` for the whole object, `null` for no bytes. */
export type ReadPick = (meta: ObjMeta) => ByteRange | undefined | null;

const EMPTY = new Uint8Array(0);

/** The range served for `range`: 416 when it is malformed or starts past the object; the end is clamped. */
function servedRange(range: ByteRange, size: number, objName: string): ByteRange {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.start > range.end || range.start >= size) {
    throw new ErrRangeNotSatisfiable(`range ${range.start}-${range.end} is not satisfiable for "${objName}" of ${size} bytes`);
  }
  return range.end < size ? range : { start: range.start, end: size - 1 };
}

export function getObject(ctx: StorageCtx, bck: BckRef, objName: string, range?: ByteRange): Promise<GetResult> {
  return readObject(ctx, bck, objName, () => range);
}

/**
 * One metadata lookup, then the bytes `pick` asks for (Storage.read). A small read is one file read
 * into one buffer; chunked objects and big reads are streamed; anything unexpected in the small read
 * (file gone, size changed) goes to the checked path, which looks the object up again and calls
 * `pick` again with what it finds.
 */
export async function readObject(ctx: StorageCtx, bck: BckRef, objName: string, pick: ReadPick): Promise<GetResult> {
  const uname = objUname(bck, objName);
  const loc = locate(ctx, uname);
  if (!loc) throw notFound(bck, objName);
  const meta = withAtime(ctx, uname, loc.meta); // meta as before this access, as AIS reports it
  const want = pick(meta);
  const served = want ? servedRange(want, loc.meta.size, objName) : want;
  if (served === null || loc.meta.chunks) return serve(ctx, uname, loc, meta, bck, objName, served);
  const length = served ? served.end - served.start + 1 : loc.meta.size;
  if (length <= SMALL_READ_BYTES_MAX) {
    const fast = await readSmall(ctx, bck, objName, uname, loc, meta, served, length);
    if (fast) return fast;
  }
  const checked = await locateChecked(ctx, bck, objName);
  const meta2 = withAtime(ctx, uname, checked.meta);
  const want2 = pick(meta2);
  return serve(ctx, uname, checked, meta2, bck, objName, want2 ? servedRange(want2, checked.meta.size, objName) : want2);
}

/** Records the access and streams the range (chunked objects across their chunk files). */
function serve(ctx: StorageCtx, uname: string, loc: Located, meta: ObjMeta, bck: BckRef, objName: string, served: ByteRange | undefined | null): GetResult {
  if (ctx.atimes.record(uname, loc.mountpath, ctx.env.clock.realtimeNs())) ctx.onAtimeBatchFull();
  if (served === null) return { meta, data: EMPTY };
  const stream = loc.meta.chunks
    ? readChunks(ctx, loc.mountpath.path, bck, objName, loc.meta, served)
    : ctx.env.disk.createReadStream(objPath(loc.mountpath.path, bck, objName), served);
  return { meta, stream, range: served };
}

/**
 * Small objects: one read of the whole range (no stat, no stream). The read asks for one byte more
 * than the metadata says is there, so a file that changed size is caught without a stat; anything
 * unexpected returns undefined (the caller falls back to the checked path).
 */
async function readSmall(ctx: StorageCtx, bck: BckRef, objName: string, uname: string, loc: Located, meta: ObjMeta, served: ByteRange | undefined, length: number): Promise<GetResult | undefined> {
  const start = served ? served.start : 0;
  let data: Uint8Array;
  try {
    data = await ctx.env.disk.readRange(objPath(loc.mountpath.path, bck, objName), start, served ? length : length + 1);
  } catch {
    return undefined; // missing or unreadable: the checked path decides what to report
  }
  if (data.byteLength !== length) return undefined;
  if (ctx.atimes.record(uname, loc.mountpath, ctx.env.clock.realtimeNs())) ctx.onAtimeBatchFull();
  return { meta, data, range: served };
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
