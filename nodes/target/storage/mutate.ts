// Object delete and custom-metadata update: read-modify-write under the object's name lock.
import { bckUname } from '../../../protocol/bmd.ts';
import { ErrObjNotFound } from '../../../protocol/errors.ts';
import { locate, locateAll, withAtime, type StorageCtx } from './ctx.ts';
import { objUname, type BckRef } from './layout.ts';
import { encodeLom, type ObjMeta } from './lom.ts';
import { withPinned } from './mountpath.ts';
import { removeObjData } from './chunks.ts';

function notFound(bck: BckRef, objName: string): ErrObjNotFound {
  return new ErrObjNotFound(bckUname(bck.provider, bck.name).slice(0, -1), objName);
}

/** `sync`: make the removal durable before returning (Fsync-PUT), as PUT makes its index entry. */
export async function deleteObject(ctx: StorageCtx, bck: BckRef, objName: string, opts: { sync?: boolean } = {}): Promise<void> {
  if (!(await deleteIf(ctx, bck, objName, () => true, opts))) throw notFound(bck, objName);
}

/**
 * Deletes the object if `pred` holds for its metadata (rebalance: only the copy that was sent, not
 * a newer one written meanwhile); false when absent or kept.
 */
export interface DeleteOpts {
  /** Make the removal durable before returning (Fsync-PUT). */
  sync?: boolean;
  /**
   * The object lives on elsewhere (rebalance moved it): remove the file first, so a crash in between
   * leaves an index entry without its file — dropped on the next access — instead of an orphan file
   * nothing would ever remove.
   */
  fileFirst?: boolean;
}

export async function deleteIf(ctx: StorageCtx, bck: BckRef, objName: string, pred: (meta: ObjMeta) => boolean, opts: DeleteOpts = {}): Promise<boolean> {
  const uname = objUname(bck, objName);
  return ctx.locks.run(uname, async () => {
    const all = locateAll(ctx, uname);
    if (all.length === 0 || !all.every((loc) => pred(loc.meta))) return false;
    ctx.atimes.drop(uname);
    await withPinned(all.map((l) => l.mountpath), async () => {
      for (const loc of all) {
        // the object's file, or its chunk dir for a chunked object (chunks.ts)
        const removeData = () => removeObjData(ctx, loc.mountpath.path, bck, objName, loc.meta);
        if (opts.fileFirst) await removeData();
        // Index first otherwise: the object is gone for readers before its file is; a crash in
        // between leaves an invisible orphan file that the next PUT of the name overwrites.
        await loc.mountpath.index.remove(uname);
        // Durable removal first: a power loss must not bring the entry back without its file.
        if (opts.sync) await loc.mountpath.index.flush();
        if (!opts.fileFirst) await removeData();
      }
    });
    return true;
  });
}

/** AIS PATCH custom metadata: merge into the existing map, or replace it (`set-new-custom`). */
export async function setCustomMd(
  ctx: StorageCtx,
  bck: BckRef,
  objName: string,
  md: Record<string, string>,
  replace: boolean,
): Promise<ObjMeta> {
  const uname = objUname(bck, objName);
  return ctx.locks.run(uname, async () => {
    const loc = locate(ctx, uname);
    if (!loc) throw notFound(bck, objName);
    const cur = withAtime(ctx, uname, loc.meta);
    const meta: ObjMeta = { ...cur, customMd: replace ? { ...md } : { ...cur.customMd, ...md } };
    await withPinned([loc.mountpath], () => loc.mountpath.index.put(uname, encodeLom(meta)));
    ctx.atimes.drop(uname);
    return meta;
  });
}
