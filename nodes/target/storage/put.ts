// Object PUT (AIS PUT semantics): stream the body into a work file on the object's HRW mountpath,
// checksumming chunk by chunk; verify length and the client's checksum; sync per write policy;
// then, under the object's name lock, rename into place and write the index entry. Any failure
// removes the work file, so nothing partial ever becomes visible.
import type { Readable } from 'node:stream';
import type { CksumType } from '../../../protocol/apc.ts';
import type { KeepMeta } from '../../../protocol/copy.ts';
import { bckUname, type WritePolicy } from '../../../protocol/bmd.ts';
import { assert, ErrBadCksum, ErrConflict, ErrIncompleteBody, ErrInvalidArgument } from '../../../protocol/errors.ts';
import type { Cksummer } from '../../../runtime/cksum/cksum.ts';
import type { WritableFile } from '../../../runtime/env/types.ts';
import { hrwMountpath, locateAll, nameClash, type StorageCtx } from './ctx.ts';
import { errnoOf, mapFsError } from './fs-errors.ts';
import { objPath, objUname, parentDir, validateObjPathName, workDir, workPath, WORK_FILE_RANDOM_BYTES, type BckRef } from './layout.ts';
import { encodeLom, type ObjMeta } from './lom.ts';
import { moveFile } from './copy-file.ts';
import { withPinned } from './mountpath.ts';
import { removeObjData } from './chunks.ts';

/** Body chunks are gathered into one writev of at least this size (fewer syscalls, no copy). */
export const WRITE_COALESCE_BYTES = 256 * 1024;
/** Attempts to rename a work file into place (parent dir created / emptied meanwhile). */
export const COMMIT_ATTEMPTS_MAX = 4;

export interface PutOpts {
  cksumType: CksumType;
  /** The client's checksum (`Ais-Checksum-Type/-Value`); the body is verified against it. */
  expected?: { type: CksumType; value: string };
  customMd?: Record<string, string>;
  /**
   * Custom metadata known only once the body is in (S3: the ETag = MD5 of the body), merged over
   * `customMd` at commit, so the object never becomes visible without it.
   */
  customMdAtCommit?: () => Record<string, string>;
  /** Declared body length; a shorter body is ErrIncompleteBody. */
  contentLength?: number;
  versioning: boolean;
  writePolicy: WritePolicy;
  /**
   * Rebalance / get-from-neighbor: store with this identity (version, mtime, atime), and only if no
   * copy here is as new (mtime) and no delete of the name here is as new (tombstone); else keep
   * what is here and return its metadata.
   */
  keep?: KeepMeta;
}

interface Received {
  size: number;
  cksumType: CksumType;
  cksumValue: string;
}

export function putObject(ctx: StorageCtx, bck: BckRef, objName: string, body: Readable, opts: PutOpts): Promise<ObjMeta> {
  return putWith(ctx, bck, objName, opts, (mpath, work) => receive(ctx, mpath, bck, work, objName, body, opts));
}

/**
 * PUT of a body already in memory (copies, small objects): the same guarantees as putObject (work
 * file, checksum, rename, index) without a stream: one checksum pass, then one writev.
 */
export function putObjectBytes(ctx: StorageCtx, bck: BckRef, objName: string, data: Uint8Array, opts: PutOpts): Promise<ObjMeta> {
  return putWith(ctx, bck, objName, opts, (mpath, work) => receiveBytes(ctx, mpath, bck, work, objName, data, opts));
}

async function putWith(
  ctx: StorageCtx,
  bck: BckRef,
  objName: string,
  opts: PutOpts,
  receiveFn: (mpath: string, work: string) => Promise<Received>,
): Promise<ObjMeta> {
  validateObjPathName(objName);
  if (opts.contentLength !== undefined && !(Number.isSafeInteger(opts.contentLength) && opts.contentLength >= 0)) {
    throw new ErrInvalidArgument(`invalid content length ${opts.contentLength}`);
  }
  const uname = objUname(bck, objName);
  throwIfClash(ctx, bck, objName);
  const mp = hrwMountpath(ctx, uname);
  const work = workPath(mp.path, bck, hex(ctx.env.random.bytes(WORK_FILE_RANDOM_BYTES)));
  let workNow = work; // where the work file is now (it moves if its mountpath leaves meanwhile)
  let renamed = false;
  try {
    const received = await receiveFn(mp.path, work);
    const mdAtCommit = opts.customMdAtCommit?.(); // before the rename: may throw, nothing is visible yet
    return await ctx.locks.run(uname, async () => {
      throwIfClash(ctx, bck, objName); // again: the other name may have arrived while we received
      // Again: a mountpath may have been attached, detached or disabled while we received. Pinned
      // before any await, so a mountpath being detached waits for this commit before it leaves.
      const dst = hrwMountpath(ctx, uname);
      const prev = locateAll(ctx, uname);
      if (opts.keep) {
        // Rebalance / get-from-neighbor: what is here wins a tie; a later delete wins too.
        const newer = prev.find((p) => p.meta.mtimeMs >= opts.keep!.mtimeMs);
        if (newer) {
          ctx.env.log.debug({ objName, have: newer.meta.mtimeMs, got: opts.keep.mtimeMs }, 'moved copy not stored: a newer one is here');
          return newer.meta;
        }
        const tomb = ctx.tombstones.get(uname);
        if (tomb !== undefined && tomb >= opts.keep.mtimeMs) {
          ctx.env.log.debug({ objName, deleted: tomb, got: opts.keep.mtimeMs }, 'moved copy not stored: deleted since');
          ctx.absorbed.set(uname, (ctx.absorbed.get(uname) ?? 0) + 1);
          return keptMeta(received, opts.keep, opts.customMd);
        }
      }
      return withPinned([dst, ...prev.map((p) => p.mountpath)], async () => {
        if (dst !== mp) {
          const moved = workPath(dst.path, bck, hex(ctx.env.random.bytes(WORK_FILE_RANDOM_BYTES)));
          await moveFile(ctx, workNow, moved, received, objName);
          workNow = moved;
        }
        await renameIntoPlace(ctx, workNow, objPath(dst.path, bck, objName), objName);
        renamed = true;
        const prevOnMp = prev.find((p) => p.mountpath === dst) ?? prev[0];
        const meta: ObjMeta = opts.keep
          ? keptMeta(received, opts.keep, opts.customMd)
          : {
              size: received.size,
              cksumType: received.cksumType,
              cksumValue: received.cksumValue,
              version: nextVersion(prevOnMp?.meta.version, opts.versioning),
              atimeNs: ctx.env.clock.realtimeNs().toString(),
              mtimeMs: ctx.env.clock.realtimeMs(),
              customMd: { ...(opts.customMd ?? {}), ...(mdAtCommit ?? {}) },
            };
        try {
          await dst.index.put(uname, encodeLom(meta));
          if (opts.writePolicy === 'immediate') await dst.index.flush();
        } catch (err) {
          // The old file was replaced: drop the object entirely rather than pair new bytes with old metadata.
          await ctx.env.disk.unlink(objPath(dst.path, bck, objName)).catch(() => {});
          await dst.index.remove(uname).catch(() => {});
          throw err;
        }
        ctx.atimes.drop(uname);
        // A copy left on another mountpath (written before a mountpath change) is now stale.
        for (const p of prev) {
          if (p.mountpath === dst) {
            // a chunked object replaced here: its chunk dir is garbage now (the file was renamed over)
            if (p.meta.chunks) await removeObjData(ctx, dst.path, bck, objName, p.meta);
            continue;
          }
          await p.mountpath.index.remove(uname);
          // durable removal first (as DELETE): a power loss must not bring back an entry without its file
          if (opts.writePolicy === 'immediate') await p.mountpath.index.flush();
          await removeObjData(ctx, p.mountpath.path, bck, objName, p.meta);
        }
        return meta;
      });
    });
  } finally {
    if (!renamed) {
      await ctx.env.disk.unlink(workNow).catch(() => {});
      if (workNow !== work) await ctx.env.disk.unlink(work).catch(() => {});
    }
  }
}

function keptMeta(received: Received, keep: KeepMeta, customMd: Record<string, string> | undefined): ObjMeta {
  return { ...received, version: keep.version, atimeNs: keep.atimeNs, mtimeMs: keep.mtimeMs, customMd: { ...(customMd ?? {}) } };
}

function throwIfClash(ctx: StorageCtx, bck: BckRef, objName: string): void {
  const other = nameClash(ctx, bckUname(bck.provider, bck.name), objName);
  if (other === undefined) return;
  throw other.length < objName.length
    ? new ErrConflict(`cannot store "${objName}": "${other}" is an object, not a directory`)
    : new ErrConflict(`cannot store "${objName}": other objects are stored under "${objName}/" (e.g. "${other}")`);
}

function nextVersion(prev: string | undefined, versioning: boolean): string {
  if (!versioning || prev === undefined) return '1';
  const n = Number(prev);
  return Number.isSafeInteger(n) && n > 0 ? String(n + 1) : '1';
}

export async function openWork(ctx: StorageCtx, mpath: string, bck: BckRef, work: string, objName: string): Promise<WritableFile> {
  try {
    return await ctx.env.disk.openWrite(work);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw mapFsError(err, objName);
  }
  // First PUT into this bucket on this mountpath (or after destroy): create the work dir once.
  await ctx.env.disk.mkdir(workDir(mpath, bck));
  try {
    return await ctx.env.disk.openWrite(work);
  } catch (err) {
    throw mapFsError(err, objName);
  }
}

async function receive(
  ctx: StorageCtx,
  mpath: string,
  bck: BckRef,
  work: string,
  objName: string,
  body: Readable,
  opts: PutOpts,
): Promise<Received> {
  const primary = await ctx.cksums.acquire(opts.cksumType);
  const exp = opts.expected && opts.expected.type !== 'none' ? opts.expected : undefined;
  const check: Cksummer | undefined = exp && exp.type !== opts.cksumType ? await ctx.cksums.acquire(exp.type) : undefined;
  try {
    return await receiveInto(ctx, mpath, bck, work, objName, body, opts, primary, check, exp);
  } finally {
    ctx.cksums.release(primary);
    if (check) ctx.cksums.release(check);
  }
}

async function receiveInto(
  ctx: StorageCtx,
  mpath: string,
  bck: BckRef,
  work: string,
  objName: string,
  body: Readable,
  opts: PutOpts,
  primary: Cksummer,
  check: Cksummer | undefined,
  exp: { type: CksumType; value: string } | undefined,
): Promise<Received> {
  const file = await openWork(ctx, mpath, bck, work, objName);
  let size = 0;
  let written = 0;
  return withWorkFile(file, opts.writePolicy, objName, async () => {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const chunks = pending;
      const bytes = pendingBytes;
      pending = [];
      pendingBytes = 0;
      await file.writev(chunks);
      written += bytes;
    };
    for await (const raw of body as AsyncIterable<Uint8Array | string>) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      if (chunk.byteLength === 0) continue;
      primary.update(chunk);
      check?.update(chunk);
      size += chunk.byteLength;
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= WRITE_COALESCE_BYTES) await flush();
    }
    await flush();
    assert(written === size, `put: wrote ${written} bytes but received ${size}`);
    checkBodyLength(size, opts.contentLength, objName);
    const value = primary.digest();
    let result: Received = { size, cksumType: opts.cksumType, cksumValue: value };
    if (exp) {
      const got = check ? check.digest() : value;
      if (got !== exp.value.toLowerCase()) {
        throw new ErrBadCksum(`BAD DATA CHECKSUM: ${exp.type}(${got} != ${exp.value})`);
      }
      // A bucket without checksums still keeps a checksum the client gave and we verified.
      if (opts.cksumType === 'none') result = { size, cksumType: exp.type, cksumValue: got };
    }
    return result;
  });
}

/** A body shorter than its declared length is incomplete; a longer one is refused. */
function checkBodyLength(size: number, contentLength: number | undefined, objName: string): void {
  if (contentLength !== undefined && size < contentLength) {
    throw new ErrIncompleteBody(`incomplete body for "${objName}": received ${size} of ${contentLength} bytes`);
  }
  if (contentLength !== undefined && size > contentLength) {
    throw new ErrInvalidArgument(`body of "${objName}" is longer than its content length (${size} > ${contentLength})`);
  }
}

async function receiveBytes(
  ctx: StorageCtx,
  mpath: string,
  bck: BckRef,
  work: string,
  objName: string,
  data: Uint8Array,
  opts: PutOpts,
): Promise<Received> {
  const size = data.byteLength;
  checkBodyLength(size, opts.contentLength, objName);
  // Checksums first: a body that fails verification never reaches the disk.
  const result = await cksumBytes(ctx, data, opts);
  const file = await openWork(ctx, mpath, bck, work, objName);
  return withWorkFile(file, opts.writePolicy, objName, async () => {
    if (size > 0) await file.writev([data]);
    return result;
  });
}

/** Runs `fill` on an open work file, syncs it per write policy and closes it; any failure closes it too. */
async function withWorkFile<T>(file: WritableFile, policy: WritePolicy, objName: string, fill: () => Promise<T>): Promise<T> {
  try {
    const out = await fill();
    if (policy === 'immediate') await file.sync();
    await file.close();
    return out;
  } catch (err) {
    await file.close().catch(() => {});
    throw mapFsError(err, objName);
  }
}

async function cksumBytes(ctx: StorageCtx, data: Uint8Array, opts: PutOpts): Promise<Received> {
  const size = data.byteLength;
  const exp = opts.expected && opts.expected.type !== 'none' ? opts.expected : undefined;
  const primary = await ctx.cksums.acquire(opts.cksumType);
  let value: string;
  try {
    primary.update(data);
    value = primary.digest();
  } finally {
    ctx.cksums.release(primary);
  }
  if (!exp) return { size, cksumType: opts.cksumType, cksumValue: value };
  let got = value;
  if (exp.type !== opts.cksumType) {
    const check = await ctx.cksums.acquire(exp.type);
    try {
      check.update(data);
      got = check.digest();
    } finally {
      ctx.cksums.release(check);
    }
  }
  if (got !== exp.value.toLowerCase()) throw new ErrBadCksum(`BAD DATA CHECKSUM: ${exp.type}(${got} != ${exp.value})`);
  // A bucket without checksums still keeps a checksum the client gave and we verified.
  return opts.cksumType === 'none' ? { size, cksumType: exp.type, cksumValue: got } : { size, cksumType: opts.cksumType, cksumValue: value };
}

/**
 * rename(work, dst), creating the parent directories. A file/directory clash with another object's
 * name is a 409; an empty directory left behind by deleted objects is removed and retried.
 */
export async function renameIntoPlace(ctx: StorageCtx, work: string, dst: string, objName: string): Promise<void> {
  const disk = ctx.env.disk;
  let lastErr: unknown;
  for (let attempt = 0; attempt < COMMIT_ATTEMPTS_MAX; attempt++) {
    try {
      await disk.rename(work, dst);
      return;
    } catch (err) {
      lastErr = err;
      const code = errnoOf(err);
      if (code === 'ENOENT') {
        try {
          await disk.mkdir(parentDir(dst));
        } catch (mkErr) {
          const mkCode = errnoOf(mkErr);
          if (mkCode === 'EEXIST' || mkCode === 'ENOTDIR') {
            throw new ErrConflict(`cannot store "${objName}": a parent path of it is an object`);
          }
          throw mapFsError(mkErr, objName);
        }
        continue;
      }
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') {
        const st = await disk.stat(dst);
        if (st?.isDirectory && (await disk.readdir(dst)).length === 0) {
          await disk.rmrf(dst);
          continue;
        }
      }
      throw mapFsError(err, objName);
    }
  }
  throw mapFsError(lastErr, objName);
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
