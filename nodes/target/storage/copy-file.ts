// Copies an object file to another mountpath and verifies it on the way (resilver; a PUT whose
// mountpath left while it was receiving): checksum computed over the bytes written, compared with
// the object's metadata before anything is renamed into place.
import { assert, ErrBadCksum } from '../../../protocol/errors.ts';
import type { CksumType } from '../../../protocol/apc.ts';
import type { StorageCtx } from './ctx.ts';
import { errnoOf, mapFsError } from './fs-errors.ts';
import { parentDir } from './layout.ts';

/** Chunks read are gathered into one writev of at least this size. */
export const COPY_COALESCE_BYTES = 256 * 1024;

export interface CopyExpect {
  size: number;
  cksumType: CksumType;
  cksumValue: string;
}

/** Copies `from` to `to` (a work file), syncs it, and verifies size and checksum against `exp`. */
export async function copyFileVerified(ctx: StorageCtx, from: string, to: string, exp: CopyExpect, objName: string): Promise<void> {
  const disk = ctx.env.disk;
  await disk.mkdir(parentDir(to));
  const c = exp.cksumType === 'none' ? undefined : await ctx.cksums.acquire(exp.cksumType);
  let file;
  try {
    file = await disk.openWrite(to);
  } catch (err) {
    if (c) ctx.cksums.release(c);
    throw mapFsError(err, objName);
  }
  let size = 0;
  let written = 0;
  try {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    for await (const chunk of disk.createReadStream(from) as AsyncIterable<Uint8Array>) {
      c?.update(chunk);
      size += chunk.byteLength;
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= COPY_COALESCE_BYTES) {
        await file.writev(pending);
        written += pendingBytes;
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pendingBytes > 0) await file.writev(pending);
    written += pendingBytes;
    assert(written === size, `copy: wrote ${written} bytes but read ${size}`);
    // A disk that changed the bytes is a fault to report; the source stays where it is.
    if (size !== exp.size) throw new ErrBadCksum(`BAD DATA: "${objName}" read ${size} bytes, ${exp.size} in its metadata`);
    if (c) {
      const got = c.digest();
      if (got !== exp.cksumValue) throw new ErrBadCksum(`BAD DATA CHECKSUM: ${exp.cksumType}(${got} != ${exp.cksumValue}) for "${objName}"`);
    }
    await file.sync();
    await file.close();
  } catch (err) {
    await file.close().catch(() => {});
    await disk.unlink(to).catch(() => {});
    throw mapFsError(err, objName);
  } finally {
    if (c) ctx.cksums.release(c);
  }
}

/** rename when both paths are on one filesystem; a copy (verified) across devices. */
export async function moveFile(ctx: StorageCtx, from: string, to: string, exp: CopyExpect, objName: string): Promise<void> {
  try {
    await ctx.env.disk.mkdir(parentDir(to));
    await ctx.env.disk.rename(from, to);
    return;
  } catch (err) {
    if (errnoOf(err) !== 'EXDEV') throw mapFsError(err, objName);
  }
  await copyFileVerified(ctx, from, to, exp, objName);
  await ctx.env.disk.unlink(from);
}
