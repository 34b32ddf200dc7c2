// What the storage operations (put.ts, get.ts, list.ts) share; owned by the Storage facade.
import { assert } from '../../../protocol/errors.ts';
import type { CksumPool } from '../../../runtime/cksum/cksum.ts';
import type { Env } from '../../../runtime/env/types.ts';
import type { Hrw } from '../../cluster/hrw.ts';
import type { AtimeBatch } from './atime.ts';
import { decodeLom, type ObjMeta } from './lom.ts';
import type { Mountpath } from './mountpath.ts';
import type { NameLock } from './name-lock.ts';

export interface StorageCtx {
  readonly env: Env;
  readonly hrw: Hrw;
  /**
   * The mountpaths that are read: the available ones plus those waiting for detach/disable.
   * Replaced on every change, never mutated (copy-on-write, as AIS's MPI), so a loop over it
   * sees one consistent set.
   */
  mountpaths: readonly Mountpath[];
  /** The mountpaths HRW places objects on: available and not waiting for detach/disable. */
  avail: readonly Mountpath[];
  readonly locks: NameLock;
  readonly atimes: AtimeBatch;
  readonly cksums: CksumPool;
  /** Names deleted while a rebalance runs → delete time (realtime ms): older incoming copies are dropped. */
  readonly tombstones: Map<string, number>;
  /** Per name: how many moved copies arrived after a delete and were dropped (the delete removed them). */
  readonly absorbed: Map<string, number>;
  /** Called when the atime batch is full: the owner flushes it. */
  onAtimeBatchFull(): void;
}

export function hrwMountpath(ctx: StorageCtx, uname: string): Mountpath {
  const mp = ctx.hrw.select(ctx.avail, uname);
  assert(mp !== undefined, 'storage: no available mountpaths');
  return mp;
}

export interface Located {
  mountpath: Mountpath;
  meta: ObjMeta;
}

/**
 * Finds an object's metadata: on its HRW mountpath first, then on the others (an object stays
 * where it was written until resilver moves it after a mountpath change).
 */
export function locate(ctx: StorageCtx, uname: string): Located | undefined {
  const first = hrwMountpath(ctx, uname);
  const v = first.index.get(uname);
  if (v) return { mountpath: first, meta: decodeLom(v) };
  for (const mp of ctx.mountpaths) {
    if (mp === first) continue;
    const w = mp.index.get(uname);
    if (w) return { mountpath: mp, meta: decodeLom(w) };
  }
  return undefined;
}

/** Every mountpath that holds an index entry for `uname` (normally one). */
export function locateAll(ctx: StorageCtx, uname: string): Located[] {
  const out: Located[] = [];
  for (const mp of ctx.mountpaths) {
    const v = mp.index.get(uname);
    if (v) out.push({ mountpath: mp, meta: decodeLom(v) });
  }
  return out;
}

export function withAtime(ctx: StorageCtx, uname: string, meta: ObjMeta): ObjMeta {
  const atimeNs = ctx.atimes.overlay(uname, meta.atimeNs);
  return atimeNs === meta.atimeNs ? meta : { ...meta, atimeNs };
}

/**
 * The existing object that `objName` would clash with as file vs directory (`a` vs `a/b`), on any
 * mountpath, so the answer does not depend on where HRW places the two names.
 */
export function nameClash(ctx: StorageCtx, bckPrefix: string, objName: string): string | undefined {
  for (let i = objName.indexOf('/'); i !== -1; i = objName.indexOf('/', i + 1)) {
    const parent = objName.slice(0, i);
    if (ctx.mountpaths.some((mp) => mp.index.get(bckPrefix + parent) !== undefined)) return parent;
  }
  const dirPrefix = `${bckPrefix}${objName}/`;
  for (const mp of ctx.mountpaths) {
    for (const { key } of mp.index.range({ start: dirPrefix, limit: 1, keysOnly: true })) {
      if (key.startsWith(dirPrefix)) return key.slice(bckPrefix.length);
    }
  }
  return undefined;
}
