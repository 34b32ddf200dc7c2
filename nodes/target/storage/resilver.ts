// Resilver (AIS res/resilver.go) inside one target: walk every object of every mountpath that is
// read, and move each one that is not on its HRW mountpath there: copy to a work file on the
// destination, verify the checksum, rename into place, write the index entry with the same
// metadata, then remove the old entry and file; all under the object's name lock, so the object is
// never lost and never visible as two different contents. Then the mountpaths waiting for detach
// or disable leave (AIS postDD), unless some of their objects could not be moved.
import { assert } from '../../../protocol/errors.ts';
import { hrwMountpath, locateAll, withAtime, type Located, type StorageCtx } from './ctx.ts';
import { copyFileVerified } from './copy-file.ts';
import { objPath, workPath, WORK_FILE_RANDOM_BYTES, type BckRef } from './layout.ts';
import { encodeLom } from './lom.ts';
import { withPinned, type Mountpath } from './mountpath.ts';
import type { MountpathSet } from './mountpath-set.ts';
import { hex, renameIntoPlace } from './put.ts';
import { chunkDirPath, copyChunksVerified, removeObjData } from './chunks.ts';

/** Index keys read per page of the walk. */
export const RESILVER_PAGE_SIZE = 1_000;
/** Objects moved concurrently (each is a copy between two disks). */
export const RESILVER_MOVES_IN_FLIGHT = 4;
/** Progress is reported at least every this many objects visited. */
export const RESILVER_REPORT_EVERY = 64;

export interface ResilverProgress {
  /** Objects moved to their HRW mountpath, and their bytes. */
  objs: number;
  bytes: number;
  /** Objects that could not be moved (they stay where they are), and the first error. */
  errs: number;
  firstErr: string;
}

/** `ais/@#/<bucket>/<obj>` → bucket and object name (the index key is the object's uname). */
export function parseUname(uname: string): { bck: BckRef; objName: string } {
  const a = uname.indexOf('/');
  const b = uname.indexOf('/', a + 1);
  const c = uname.indexOf('/', b + 1);
  assert(a > 0 && b > a && c > b && c < uname.length - 1, `resilver: bad index key "${uname}"`);
  return { bck: { provider: uname.slice(0, a), name: uname.slice(b + 1, c) }, objName: uname.slice(c + 1) };
}

export async function resilver(
  ctx: StorageCtx,
  mpaths: MountpathSet,
  signal: AbortSignal,
  report: (p: ResilverProgress) => void,
): Promise<ResilverProgress> {
  const p: ResilverProgress = { objs: 0, bytes: 0, errs: 0, firstErr: '' };
  // Commits that chose a waiting mountpath just before it began to leave finish first, so the
  // walk below sees their objects.
  for (const mp of mpaths.waitingDD()) await mpaths.drained(mp);
  let visited = 0;
  for (const mp of [...ctx.mountpaths]) {
    await walk(ctx, mp, signal, p, () => {
      if (++visited % RESILVER_REPORT_EVERY === 0) report({ ...p });
    });
    if (signal.aborted) return p;
  }
  for (const mp of mpaths.waitingDD()) {
    if (signal.aborted) return p;
    await walk(ctx, mp, signal, p, () => {}); // what a failed move left
    if (signal.aborted) return p;
    const left = firstKey(mp);
    if (left !== undefined) {
      p.errs++;
      p.firstErr ||= `mountpath ${mp.path} still holds objects (e.g. "${left}"): not leaving`;
      continue;
    }
    await mpaths.finishDD(mp);
  }
  report({ ...p });
  return p;
}

function firstKey(mp: Mountpath): string | undefined {
  for (const { key } of mp.index.range({ start: '', limit: 1, keysOnly: true })) return key;
  return undefined;
}

/** Every index key of `mp`, page by page (collected before the moves change the index). */
async function walk(ctx: StorageCtx, mp: Mountpath, signal: AbortSignal, p: ResilverProgress, visit: () => void): Promise<void> {
  let start = '';
  for (;;) {
    if (signal.aborted || !ctx.mountpaths.includes(mp)) return;
    const keys: string[] = [];
    for (const { key } of mp.index.range({ start, limit: RESILVER_PAGE_SIZE, keysOnly: true })) keys.push(key);
    if (keys.length === 0) return;
    for (let i = 0; i < keys.length && !signal.aborted; i += RESILVER_MOVES_IN_FLIGHT) {
      await Promise.all(
        keys.slice(i, i + RESILVER_MOVES_IN_FLIGHT).map(async (uname) => {
          visit();
          try {
            const moved = await resilverObj(ctx, uname);
            if (moved !== undefined) {
              p.objs++;
              p.bytes += moved;
            }
          } catch (err) {
            p.errs++;
            p.firstErr ||= `${uname}: ${err instanceof Error ? err.message : String(err)}`;
            ctx.env.log.warn({ uname, err: String(err) }, 'resilver: object not moved');
          }
        }),
      );
    }
    if (keys.length < RESILVER_PAGE_SIZE) return;
    start = keys[keys.length - 1]! + '\u0000'; // strictly after the last key
  }
}

/**
 * Moves one object to its HRW mountpath; returns its size, or undefined when nothing moved (already
 * in place, or deleted meanwhile). Several copies are not expected (a PUT removes the others; a
 * crash in between, or a mountpath attached again with old data, may leave some): the newest one
 * wins and the others are dropped.
 */
export async function resilverObj(ctx: StorageCtx, uname: string): Promise<number | undefined> {
  return ctx.locks.run(uname, async () => {
    const all = locateAll(ctx, uname);
    if (all.length === 0) return undefined;
    const dst = hrwMountpath(ctx, uname);
    const { bck, objName } = parseUname(uname);
    return withPinned([dst, ...all.map((l) => l.mountpath)], async () => {
      const src = all.reduce((a, b) => (newer(b, a) ? b : a));
      const others = all.filter((l) => l !== src && l.mountpath !== dst);
      if (src.mountpath === dst) {
        await dropCopies(ctx, others, bck, objName, uname);
        return undefined;
      }
      const meta = withAtime(ctx, uname, src.meta);
      const work = workPath(dst.path, bck, hex(ctx.env.random.bytes(WORK_FILE_RANDOM_BYTES)));
      let renamed = false;
      try {
        if (meta.chunks) {
          // chunked: the chunk dir moves with the object (copied chunk by chunk, each verified)
          await copyChunksVerified(ctx, src.mountpath.path, work, bck, objName, meta);
          await renameIntoPlace(ctx, work, chunkDirPath(dst.path, bck, meta.chunks.id), objName);
        } else {
          await copyFileVerified(ctx, objPath(src.mountpath.path, bck, objName), work, meta, objName);
          await renameIntoPlace(ctx, work, objPath(dst.path, bck, objName), objName);
        }
        renamed = true;
      } finally {
        if (!renamed) await (meta.chunks ? ctx.env.disk.rmrf(work) : ctx.env.disk.unlink(work)).catch(() => {});
      }
      try {
        await dst.index.put(uname, encodeLom(meta));
        // The source goes next: the entry here must survive a power loss first.
        await dst.index.flush();
      } catch (err) {
        // The file on dst may have replaced an older copy's: drop that entry rather than pair it with these bytes.
        await dst.index.remove(uname).catch(() => {});
        await removeObjData(ctx, dst.path, bck, objName, meta).catch(() => {});
        throw err;
      }
      ctx.atimes.drop(uname);
      await dropCopies(ctx, [src, ...others], bck, objName, uname);
      return meta.size;
    });
  });
}

/** The later write: mtime, then version (the same mtime on two copies is one write copied). */
function newer(a: Located, b: Located): boolean {
  if (a.meta.mtimeMs !== b.meta.mtimeMs) return a.meta.mtimeMs > b.meta.mtimeMs;
  return Number(a.meta.version) > Number(b.meta.version);
}

/** Index entry first, then the file (as delete): readers never find an entry without its file. */
async function dropCopies(ctx: StorageCtx, copies: readonly Located[], bck: BckRef, objName: string, uname: string): Promise<void> {
  for (const l of copies) {
    await l.mountpath.index.remove(uname);
    await l.mountpath.index.flush(); // never an entry without its file after a power loss
    await removeObjData(ctx, l.mountpath.path, bck, objName, l.meta);
  }
}
