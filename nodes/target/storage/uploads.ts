// Multipart uploads in progress (AIS ais/tgts3mpt.go + core/ufest.go partial manifests), shared by
// the S3 and the native API. An upload lives on its object's HRW mountpath:
//   %mp/<uploadId>/manifest   msgpack [format, id, objName, createdMs, customMd, parts], written
//                             atomically after every part (so it survives a restart: it is on disk)
//   %mp/<uploadId>/<n>        part n (received into %wk first, renamed in: a re-upload replaces it)
// Complete keeps the listed parts, renames the upload dir to %ch/<uploadId> (one rename) and writes
// the object's LOM with the chunk manifest (chunks.ts), under the object's name lock; the object
// appears atomically and replaces any previous one. Per-upload steps run under the lock
// `%mp/<uploadId>` (NameLock; never an object uname, which starts with its provider).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Packr } from 'msgpackr';
import { bckUname, type WritePolicy } from '../../../protocol/bmd.ts';
import { assert, ErrConflict, ErrIncompleteBody, ErrInvalidArgument } from '../../../protocol/errors.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { MD_ETAG } from '../../../protocol/s3/meta.ts';
import type { MptListReq, MptUploadInfo } from '../../../protocol/s3/mpt.ts';
import { hrwMountpath, locateAll, nameClash, type StorageCtx } from './ctx.ts';
import { chunkDirPath, encodeManifest, multipartEtag, removeObjData, wholeCrc32c, type Chunk } from './chunks.ts';
import { errnoOf, mapFsError, readdirOrEmpty } from './fs-errors.ts';
import { chunksDir, objUname, uploadsDir, validateObjPathName, workPath, WORK_FILE_RANDOM_BYTES, type BckRef } from './layout.ts';
import { encodeLom, type ObjMeta } from './lom.ts';
import { withPinned, type Mountpath } from './mountpath.ts';
import { hex, openWork, renameIntoPlace } from './put.ts';

/** S3: every part but the last must be at least this big (EntityTooSmall). */
export const MPT_PART_SIZE_MIN = 5 * 1024 * 1024;
/** S3 part numbers are 1..10000. */
export const MPT_PART_NUM_MAX = 10_000;
/** Upload ids: random bytes, hex (also a directory name, so only hex is ever accepted). */
export const UPLOAD_ID_BYTES = 16;
export const UPLOAD_MANIFEST_V1 = 1;
const MANIFEST_FILE = 'manifest';
const UPLOAD_ID_RE = new RegExp(`^[0-9a-f]{${UPLOAD_ID_BYTES * 2}}$`);
/** Part bodies are gathered into one writev of at least this size. */
const PART_WRITE_COALESCE_BYTES = 256 * 1024;

export interface UploadPart extends Chunk {
  /** Unix ms the part was stored (ListParts LastModified). */
  mtimeMs: number;
}

export interface Upload {
  id: string;
  objName: string;
  createdMs: number;
  /** The final object's custom metadata (S3 headers given at create). */
  customMd: Record<string, string>;
  /** Sorted by part number. */
  parts: UploadPart[];
}

export interface CompletePart {
  num: number;
  /** The part's ETag as the client knows it (quotes optional); '' = not checked (native API). */
  etag: string;
}

export interface CompleteOpts {
  versioning: boolean;
  writePolicy: WritePolicy;
}

export interface PartOpts {
  contentLength?: number;
  /**
   * The body's hex MD5, valid once it has ended, when the caller computes it already (the S3
   * payload does, through the worker pool); else it is computed here.
   */
  md5?: () => string;
  writePolicy: WritePolicy;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

function encodeUpload(u: Upload): Uint8Array {
  return packr.pack([UPLOAD_MANIFEST_V1, u.id, u.objName, u.createdMs, u.customMd, u.parts.map((p) => [p.num, p.size, p.md5, p.crc32c, p.mtimeMs])]);
}

function decodeUpload(buf: Uint8Array, path: string): Upload {
  const v: unknown = packr.unpack(buf);
  // Our own file: a malformed one is a bug or a damaged disk.
  assert(Array.isArray(v) && v.length === 6 && v[0] === UPLOAD_MANIFEST_V1, `upload manifest ${path}: bad format`);
  const [, id, objName, createdMs, customMd, parts] = v as unknown[];
  assert(typeof id === 'string' && typeof objName === 'string' && typeof createdMs === 'number', `upload manifest ${path}: bad header`);
  assert(typeof customMd === 'object' && customMd !== null && Array.isArray(parts), `upload manifest ${path}: bad body`);
  return {
    id,
    objName,
    createdMs,
    customMd: customMd as Record<string, string>,
    parts: (parts as [number, number, string, string, number][]).map(([num, size, md5, crc32c, mtimeMs]) => ({ num, size, md5, crc32c, mtimeMs })),
  };
}

function uploadDir(mpath: string, bck: BckRef, id: string): string {
  return `${uploadsDir(mpath, bck)}/${id}`;
}

function lockKey(id: string): string {
  return `%mp/${id}`;
}

interface Found {
  mp: Mountpath;
  dir: string;
  upload: Upload;
}

/** The upload `id` of `objName`, on its HRW mountpath first, then anywhere; else NoSuchUpload. */
async function find(ctx: StorageCtx, bck: BckRef, objName: string, id: string): Promise<Found> {
  if (!UPLOAD_ID_RE.test(id)) throw s3Err.noSuchUpload(id);
  const first = hrwMountpath(ctx, objUname(bck, objName));
  for (const mp of [first, ...ctx.mountpaths.filter((m) => m !== first)]) {
    const dir = uploadDir(mp.path, bck, id);
    let buf: Uint8Array;
    try {
      buf = await ctx.env.disk.readFile(`${dir}/${MANIFEST_FILE}`);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') continue;
      throw mapFsError(e, objName);
    }
    const upload = decodeUpload(buf, dir);
    if (upload.objName !== objName) break; // an id names one upload of one object
    return { mp, dir, upload };
  }
  throw s3Err.noSuchUpload(id);
}

export async function createUpload(ctx: StorageCtx, bck: BckRef, objName: string, customMd: Record<string, string>): Promise<string> {
  validateObjPathName(objName);
  throwIfClash(ctx, bck, objName);
  const mp = hrwMountpath(ctx, objUname(bck, objName));
  const id = hex(ctx.env.random.bytes(UPLOAD_ID_BYTES));
  const dir = uploadDir(mp.path, bck, id);
  await ctx.env.disk.mkdir(dir);
  const upload: Upload = { id, objName, createdMs: ctx.env.clock.realtimeMs(), customMd: { ...customMd }, parts: [] };
  await ctx.env.disk.writeFileAtomic(`${dir}/${MANIFEST_FILE}`, encodeUpload(upload));
  return id;
}

export function getUpload(ctx: StorageCtx, bck: BckRef, objName: string, id: string): Promise<Upload> {
  return find(ctx, bck, objName, id).then((f) => f.upload);
}

export function validPartNum(s: string | null): number {
  const n = s === null || !/^\d{1,5}$/.test(s) ? NaN : Number(s);
  if (!(n >= 1 && n <= MPT_PART_NUM_MAX)) {
    throw s3Err.invalidArgument(`Part number must be an integer between 1 and ${MPT_PART_NUM_MAX}, inclusive (got "${s ?? ''}")`);
  }
  return n;
}

/** Stores part `num` (replacing an earlier upload of it); returns its MD5 (hex) and size. */
export async function putPart(ctx: StorageCtx, bck: BckRef, objName: string, id: string, num: number, body: Readable, opts: PartOpts): Promise<UploadPart> {
  const { mp } = await find(ctx, bck, objName, id); // NoSuchUpload before reading a byte
  const work = workPath(mp.path, bck, hex(ctx.env.random.bytes(WORK_FILE_RANDOM_BYTES)));
  let moved = false;
  try {
    const got = await receivePart(ctx, mp.path, bck, work, objName, body, opts);
    return await ctx.locks.run(lockKey(id), async () => {
      const f = await find(ctx, bck, objName, id); // aborted or completed meanwhile: NoSuchUpload
      await withPinned([f.mp], async () => {
        await renameIntoPlace(ctx, work, `${f.dir}/${num}`, objName);
        moved = true;
      });
      const part: UploadPart = { num, ...got, mtimeMs: ctx.env.clock.realtimeMs() };
      const parts = f.upload.parts.filter((p) => p.num !== num);
      parts.push(part);
      parts.sort((a, b) => a.num - b.num);
      await ctx.env.disk.writeFileAtomic(`${f.dir}/${MANIFEST_FILE}`, encodeUpload({ ...f.upload, parts }));
      return part;
    });
  } finally {
    if (!moved) await ctx.env.disk.unlink(work).catch(() => {});
  }
}

async function receivePart(
  ctx: StorageCtx,
  mpath: string,
  bck: BckRef,
  work: string,
  objName: string,
  body: Readable,
  opts: PartOpts,
): Promise<{ size: number; md5: string; crc32c: string }> {
  const file = await openWork(ctx, mpath, bck, work, objName);
  const md5 = opts.md5 === undefined ? createHash('md5') : undefined;
  const crc = await ctx.cksums.acquire('crc32c');
  let size = 0;
  try {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    for await (const raw of body as AsyncIterable<Uint8Array | string>) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      if (chunk.byteLength === 0) continue;
      md5?.update(chunk);
      crc.update(chunk);
      size += chunk.byteLength;
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= PART_WRITE_COALESCE_BYTES) {
        await file.writev(pending);
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pendingBytes > 0) await file.writev(pending);
    if (opts.contentLength !== undefined && size < opts.contentLength) {
      throw new ErrIncompleteBody(`incomplete body for part of "${objName}": received ${size} of ${opts.contentLength} bytes`);
    }
    if (opts.contentLength !== undefined && size > opts.contentLength) {
      throw new ErrInvalidArgument(`part body of "${objName}" is longer than its content length (${size} > ${opts.contentLength})`);
    }
    const out = { size, md5: md5 ? md5.digest('hex') : opts.md5!(), crc32c: crc.digest() };
    if (opts.writePolicy === 'immediate') await file.sync();
    await file.close();
    return out;
  } catch (err) {
    await file.close().catch(() => {});
    throw (err as { status?: unknown }).status !== undefined ? err : mapFsError(err, objName);
  } finally {
    ctx.cksums.release(crc);
  }
}

export async function abortUpload(ctx: StorageCtx, bck: BckRef, objName: string, id: string): Promise<void> {
  await ctx.locks.run(lockKey(id), async () => {
    const f = await find(ctx, bck, objName, id);
    await ctx.env.disk.rmrf(f.dir);
  });
}

function stripQuotes(etag: string): string {
  const t = etag.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** Checks the client's part list against the upload (S3 CompleteMultipartUpload rules). */
function checkParts(upload: Upload, list: readonly CompletePart[]): UploadPart[] {
  if (list.length === 0) throw s3Err.malformedXML('You must specify at least one part');
  const byNum = new Map(upload.parts.map((p) => [p.num, p]));
  const out: UploadPart[] = [];
  for (let i = 0; i < list.length; i++) {
    const want = list[i]!;
    if (i > 0 && want.num <= list[i - 1]!.num) {
      throw s3Err.invalidPartOrder('The list of parts was not in ascending order. Parts must be ordered by part number.');
    }
    const have = byNum.get(want.num);
    const etag = stripQuotes(want.etag);
    if (have === undefined || (etag !== '' && etag.toLowerCase() !== have.md5)) {
      throw s3Err.invalidPart(`One or more of the specified parts could not be found or the specified entity tag did not match the part's entity tag (part ${want.num})`);
    }
    out.push(have);
  }
  for (let i = 0; i < out.length - 1; i++) {
    if (out[i]!.size < MPT_PART_SIZE_MIN) {
      throw s3Err.entityTooSmall(`Your proposed upload is smaller than the minimum allowed object size: part ${out[i]!.num} has ${out[i]!.size} bytes (minimum ${MPT_PART_SIZE_MIN} for all parts but the last)`);
    }
  }
  return out;
}

/** Completes the upload into a chunked object (see the header); returns its metadata. */
export async function completeUpload(ctx: StorageCtx, bck: BckRef, objName: string, id: string, list: readonly CompletePart[], opts: CompleteOpts): Promise<ObjMeta> {
  const uname = objUname(bck, objName);
  return ctx.locks.run(lockKey(id), async () => {
    const f = await find(ctx, bck, objName, id);
    const parts = checkParts(f.upload, list);
    throwIfClash(ctx, bck, objName);
    const chunks: Chunk[] = parts.map(({ num, size, md5, crc32c }) => ({ num, size, md5, crc32c }));
    const keep = new Set(parts.map((p) => String(p.num)));
    // Parts not listed are discarded (S3); the partial manifest is not needed past this point.
    for (const e of await ctx.env.disk.readdir(f.dir)) if (!keep.has(e.name)) await ctx.env.disk.rmrf(`${f.dir}/${e.name}`);
    const size = chunks.reduce((n, c) => n + c.size, 0);
    const etag = multipartEtag(chunks.map((c) => c.md5));
    return ctx.locks.run(uname, async () => {
      throwIfClash(ctx, bck, objName); // again: the other name may have arrived meanwhile
      const prev = locateAll(ctx, uname);
      return withPinned([f.mp, ...prev.map((p) => p.mountpath)], async () => {
        const chDir = chunkDirPath(f.mp.path, bck, id);
        await ctx.env.disk.mkdir(chunksDir(f.mp.path, bck));
        await renameIntoPlace(ctx, f.dir, chDir, objName); // the upload is gone from here on
        const now = ctx.env.clock.realtimeMs();
        const prevHere = prev.find((p) => p.mountpath === f.mp) ?? prev[0];
        const meta: ObjMeta = {
          size,
          cksumType: 'crc32c',
          cksumValue: wholeCrc32c(chunks),
          version: nextVersion(prevHere?.meta.version, opts.versioning),
          atimeNs: ctx.env.clock.realtimeNs().toString(),
          mtimeMs: now,
          customMd: { ...f.upload.customMd, [MD_ETAG]: etag },
          chunks: encodeManifest({ id, chunks }),
        };
        try {
          await f.mp.index.put(uname, encodeLom(meta));
          if (opts.writePolicy === 'immediate') await f.mp.index.flush();
        } catch (err) {
          await ctx.env.disk.rmrf(chDir).catch(() => {});
          throw err;
        }
        ctx.atimes.drop(uname);
        // The replaced object: index entry first where it is elsewhere, then its bytes. A crash
        // in between leaves an orphan file (overwritten by the next PUT) or an orphan chunk dir
        // (space cleanup removes chunk dirs no LOM references).
        for (const p of prev) {
          if (p.mountpath !== f.mp) {
            await p.mountpath.index.remove(uname);
            if (opts.writePolicy === 'immediate') await p.mountpath.index.flush();
          }
          await removeObjData(ctx, p.mountpath.path, bck, objName, p.meta);
        }
        return meta;
      });
    });
  });
}

function throwIfClash(ctx: StorageCtx, bck: BckRef, objName: string): void {
  const other = nameClash(ctx, bckUname(bck.provider, bck.name), objName);
  if (other !== undefined) throw new ErrConflict(`cannot store "${objName}": it clashes with object "${other}" (file vs directory)`);
}

function nextVersion(prev: string | undefined, versioning: boolean): string {
  if (!versioning || prev === undefined) return '1';
  const n = Number(prev);
  return Number.isSafeInteger(n) && n > 0 ? String(n + 1) : '1';
}

/** Every upload in progress of a bucket on this target's mountpaths (ListMultipartUploads). */
export async function listUploads(ctx: StorageCtx, q: MptListReq): Promise<MptUploadInfo[]> {
  const all: MptUploadInfo[] = [];
  for (const mp of ctx.mountpaths) {
    const dir = uploadsDir(mp.path, q.bck);
    for (const e of await readdirOrEmpty(ctx.env, dir)) {
      if (!e.isDirectory || !UPLOAD_ID_RE.test(e.name)) continue;
      let u: Upload;
      try {
        u = decodeUpload(await ctx.env.disk.readFile(`${dir}/${e.name}/${MANIFEST_FILE}`), `${dir}/${e.name}`);
      } catch {
        continue; // completed or aborted while we looked
      }
      if (!u.objName.startsWith(q.prefix)) continue;
      if (q.keyMarker !== '' && (u.objName < q.keyMarker || (u.objName === q.keyMarker && (q.uploadIdMarker === '' || u.id <= q.uploadIdMarker)))) continue;
      all.push({ key: u.objName, uploadId: u.id, initiatedMs: u.createdMs });
    }
  }
  all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0));
  return all.slice(0, Math.max(0, q.limit));
}
