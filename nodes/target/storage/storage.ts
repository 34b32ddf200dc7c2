// The target's storage engine facade: mountpaths, the per-mountpath LOM index, object
// PUT/GET/HEAD/DELETE, listing scans. Everything reaches the world through the Env.
import type { Readable } from 'node:stream';
import { bckUname } from '../../../protocol/bmd.ts';
import { assert, ErrInvalidArgument } from '../../../protocol/errors.ts';
import { CksumPool } from '../../../runtime/cksum/cksum.ts';
import type { Env, TimerHandle } from '../../../runtime/env/types.ts';
import type { Hrw } from '../../cluster/hrw.ts';
import { ATIME_FLUSH_INTERVAL_MS, AtimeBatch } from './atime.ts';
import { locate, withAtime, type StorageCtx } from './ctx.ts';
import { readdirOrEmpty } from './fs-errors.ts';
import { getObject, readObject, validateObject, type ByteRange, type GetResult } from './get.ts';
import { bckDir, normalizeMountpath, objDir, objPath, objUname, PROVIDER_DIR_PREFIX, workDir, WORK_DIR_NAME, type BckRef } from './layout.ts';
import { bucketKeys, listNames, listObjects, type ListEntry, type ListOpts } from './list.ts';
import { decodeLom, encodeLom, type ObjMeta } from './lom.ts';
import { Mountpath } from './mountpath.ts';
import { loadVmd, MountpathSet, type MountpathList } from './mountpath-set.ts';
import { resilver, type ResilverProgress } from './resilver.ts';
import { deleteIf, deleteObject, setCustomMd, type DeleteOpts } from './mutate.ts';
import { NameLock } from './name-lock.ts';
import { putObject, putObjectBytes, type PutOpts } from './put.ts';
import { abortUpload, completeUpload, createUpload, getUpload, listUploads, putPart, type CompleteOpts, type CompletePart, type PartOpts, type Upload, type UploadPart } from './uploads.ts';
import type { MptListReq, MptUploadInfo } from '../../../protocol/s3/mpt.ts';

/** Index entries removed per batch when a bucket is destroyed (one lmdb commit per batch). */
export const DESTROY_BATCH_SIZE = 10_000;
/** Names whose dropped-copy counts are kept (cleared past this at the end of a rebalance). */
export const ABSORBED_NAMES_MAX = 100_000;
/** Most mountpaths one target takes (HRW over them is a linear scan per object). */
export const MOUNTPATHS_MAX = 128;

export interface StorageOpts {
  /** The initial set (node config `fspaths`); the persisted set at `vmdPath` wins when present. */
  mountpaths: string[];
  hrw: Hrw;
  /** Where the mountpath set is persisted (the target's confdir); none: not persisted (tests). */
  vmdPath?: string;
}

export interface MountpathInfo {
  path: string;
  totalBytes: number;
  freeBytes: number;
  usedPct: number;
}

export class Storage {
  readonly #env: Env;
  readonly #ctx: StorageCtx;
  /** Attach, enable, detach, disable (nodes/target/mountpath-api.ts drives it). */
  readonly mpaths: MountpathSet;
  #atimeTimer: TimerHandle | undefined;
  #atimeFlushing: Promise<void> | undefined;
  #closed = false;

  private constructor(env: Env, hrw: Hrw, mountpaths: Mountpath[], disabled: string[], vmdPath: string | undefined) {
    this.#env = env;
    this.#ctx = {
      env,
      hrw,
      mountpaths,
      avail: mountpaths,
      locks: new NameLock(),
      atimes: new AtimeBatch(),
      cksums: new CksumPool(),
      tombstones: new Map(),
      absorbed: new Map(),
      onAtimeBatchFull: () => void this.flushAtimes(),
    };
    this.mpaths = new MountpathSet(env, this.#ctx, hrw, disabled, vmdPath);
  }

  /** Opens (creates) every mountpath and its index and removes work files leaked by a crash. */
  static async open(env: Env, opts: StorageOpts): Promise<Storage> {
    const vmd = opts.vmdPath === undefined ? undefined : await loadVmd(env, opts.vmdPath);
    if (vmd) opts = { ...opts, mountpaths: vmd.available };
    if (opts.mountpaths.length === 0) throw new ErrInvalidArgument('storage needs at least one mountpath');
    if (opts.mountpaths.length > MOUNTPATHS_MAX) throw new ErrInvalidArgument(`too many mountpaths (max ${MOUNTPATHS_MAX})`);
    const paths = opts.mountpaths.map((p) => {
      const n = normalizeMountpath(p);
      if (n === '') throw new ErrInvalidArgument(`mountpath "${p}" must be an absolute path`);
      return n;
    });
    if (new Set(paths).size !== paths.length) throw new ErrInvalidArgument('mountpaths must be distinct');
    const mps: Mountpath[] = [];
    // A mountpath whose disk fails at startup is disabled, the target starts on the others (as AIS's
    // filesystem health checker does); only when none opens does the target fail to start.
    const faulty: string[] = [];
    let leaked = 0;
    for (const p of paths) {
      let mp: Mountpath | undefined;
      try {
        mp = await Mountpath.open(env, opts.hrw, p);
        leaked += await removeWorkFiles(env, mp.path);
        mps.push(mp);
      } catch (err) {
        await mp?.index.close().catch(() => {});
        if (paths.length === 1 || !isIoError(err)) {
          for (const m of mps) await m.index.close().catch(() => {});
          throw err;
        }
        env.log.error({ mountpath: p, err: (err as Error).message }, 'storage: mountpath failed to open: disabled');
        faulty.push(p);
      }
    }
    if (mps.length === 0) throw new ErrInvalidArgument(`no mountpath could be opened (${faulty.join(', ')})`);
    if (leaked > 0) env.log.info({ leaked }, 'storage: removed leaked work files');
    const s = new Storage(env, opts.hrw, mps, [...(vmd?.disabled ?? []), ...faulty], opts.vmdPath);
    s.#atimeTimer = env.timers.setInterval(() => void s.flushAtimes(), ATIME_FLUSH_INTERVAL_MS);
    return s;
  }

  put(bck: BckRef, objName: string, body: Readable, opts: PutOpts): Promise<ObjMeta> {
    this.#assertOpen();
    return putObject(this.#ctx, bck, objName, body, opts);
  }

  /** PUT of a body already in memory (one checksum pass, one write; no stream). */
  putBytes(bck: BckRef, objName: string, data: Uint8Array, opts: PutOpts): Promise<ObjMeta> {
    this.#assertOpen();
    return putObjectBytes(this.#ctx, bck, objName, data, opts);
  }

  /** Metadata from the index (sync; no filesystem access). */
  head(bck: BckRef, objName: string): ObjMeta | undefined {
    this.#assertOpen();
    const uname = objUname(bck, objName);
    const loc = locate(this.#ctx, uname);
    return loc && withAtime(this.#ctx, uname, loc.meta);
  }

  get(bck: BckRef, objName: string, range?: ByteRange): Promise<GetResult> {
    this.#assertOpen();
    return getObject(this.#ctx, bck, objName, range);
  }

  /**
   * One metadata lookup, then the bytes `pick` asks for: `pick(meta)` returns the byte range to
   * read (inclusive end, as ByteRange), `undefined` for the whole object, or `null` for no bytes
   * (the result then has `data` = empty). Throws ErrObjNotFound when the object is not here;
   * a range that `pick` returns is served as given (the caller already applied its range rules).
   * Otherwise as `get`: chunked objects and reads above SMALL_READ_BYTES_MAX are streamed, `meta`
   * (also what `pick` sees) has the atime overlay, and the access is recorded (also for `null`).
   * `pick` may be called a second time, with fresh metadata, when the object changed under the read.
   */
  read(bck: BckRef, objName: string, pick: (meta: ObjMeta) => ByteRange | undefined | null): Promise<GetResult> {
    this.#assertOpen();
    return readObject(this.#ctx, bck, objName, pick);
  }

  validate(bck: BckRef, objName: string): Promise<void> {
    this.#assertOpen();
    return validateObject(this.#ctx, bck, objName);
  }

  delete(bck: BckRef, objName: string, opts: { sync?: boolean } = {}): Promise<void> {
    this.#assertOpen();
    return deleteObject(this.#ctx, bck, objName, opts);
  }

  /** Deletes the object only if `pred` holds for its metadata; false when absent or kept. */
  deleteIf(bck: BckRef, objName: string, pred: (meta: ObjMeta) => boolean, opts: DeleteOpts = {}): Promise<boolean> {
    this.#assertOpen();
    return deleteIf(this.#ctx, bck, objName, pred, opts);
  }

  // Multipart uploads (uploads.ts): parts on the object's HRW mountpath, completed into a chunked object.

  /** A new upload of `objName`; `customMd` goes to the final object. Returns the upload id. */
  mptCreate(bck: BckRef, objName: string, customMd: Record<string, string>): Promise<string> {
    this.#assertOpen();
    return createUpload(this.#ctx, bck, objName, customMd);
  }

  mptPutPart(bck: BckRef, objName: string, uploadId: string, num: number, body: Readable, opts: PartOpts): Promise<UploadPart> {
    this.#assertOpen();
    return putPart(this.#ctx, bck, objName, uploadId, num, body, opts);
  }

  /** The upload (NoSuchUpload when unknown, completed or aborted). */
  mptGet(bck: BckRef, objName: string, uploadId: string): Promise<Upload> {
    this.#assertOpen();
    return getUpload(this.#ctx, bck, objName, uploadId);
  }

  mptComplete(bck: BckRef, objName: string, uploadId: string, parts: readonly CompletePart[], opts: CompleteOpts): Promise<ObjMeta> {
    this.#assertOpen();
    return completeUpload(this.#ctx, bck, objName, uploadId, parts, opts);
  }

  mptAbort(bck: BckRef, objName: string, uploadId: string): Promise<void> {
    this.#assertOpen();
    return abortUpload(this.#ctx, bck, objName, uploadId);
  }

  mptList(q: MptListReq): Promise<MptUploadInfo[]> {
    this.#assertOpen();
    return listUploads(this.#ctx, q);
  }

  /** Chunk dir ids the LOMs of the bucket on this mountpath reference (space cleanup: the others are orphans). */
  referencedChunkDirs(mpath: string, bck: BckRef): Set<string> | undefined {
    this.#assertOpen();
    const mp = this.#ctx.mountpaths.find((m) => m.path === mpath);
    if (!mp) return undefined; // not ours to judge
    const prefix = bckUname(bck.provider, bck.name);
    const ids = new Set<string>();
    // a full scan of the bucket on this mountpath: cleanup is rare and runs in the background
    for (const { key, value } of mp.index.range({ start: prefix })) {
      if (!key.startsWith(prefix)) break;
      const id = decodeLom(value).chunks?.id;
      if (id !== undefined) ids.add(id);
    }
    return ids;
  }

  /** Remembers a delete made while a rebalance runs, so an older copy still in flight is not stored. */
  tombstone(bck: BckRef, objName: string, deletedMs: number): void {
    const uname = objUname(bck, objName);
    this.#ctx.tombstones.set(uname, Math.max(deletedMs, this.#ctx.tombstones.get(uname) ?? 0));
  }

  tombstoned(bck: BckRef, objName: string): boolean {
    return this.#ctx.tombstones.has(objUname(bck, objName));
  }

  /**
   * How many moved copies of this name arrived after a delete and were dropped; a delete that sees
   * it grow while it runs removed an object on its way here. Kept past clearTombstones (a delete may
   * still be asking the peers when the rebalance ends), bounded.
   */
  absorbedCount(bck: BckRef, objName: string): number {
    return this.#ctx.absorbed.get(objUname(bck, objName)) ?? 0;
  }

  /** Every object moved by rebalance has arrived (all peers done): forget the deletes. */
  clearTombstones(): void {
    this.#ctx.tombstones.clear();
    if (this.#ctx.absorbed.size > ABSORBED_NAMES_MAX) this.#ctx.absorbed.clear();
  }

  setCustomMd(bck: BckRef, objName: string, md: Record<string, string>, replace: boolean): Promise<ObjMeta> {
    this.#assertOpen();
    return setCustomMd(this.#ctx, bck, objName, md, replace);
  }

  list(bck: BckRef, opts: ListOpts): ListEntry[] {
    this.#assertOpen();
    return listObjects(this.#ctx, bck, opts);
  }

  listNames(bck: BckRef, opts: ListOpts): string[] {
    this.#assertOpen();
    return listNames(this.#ctx, bck, opts);
  }

  /** The object's file path (AIS FQN) if present, for local readers such as rebalance or get-batch. */
  fqn(bck: BckRef, objName: string): string | undefined {
    this.#assertOpen();
    const loc = locate(this.#ctx, objUname(bck, objName));
    if (loc?.meta.chunks) return undefined; // a chunked object has no single file: read it through get()
    return loc && objPath(loc.mountpath.path, bck, objName);
  }

  async createBucket(bck: BckRef): Promise<void> {
    this.#assertOpen();
    for (const mp of this.#ctx.mountpaths) {
      await this.#env.disk.mkdir(objDir(mp.path, bck));
      await this.#env.disk.mkdir(workDir(mp.path, bck));
    }
  }

  /** Removes the bucket's index entries (first: objects vanish for readers) and then its files. */
  async destroyBucket(bck: BckRef): Promise<void> {
    this.#assertOpen();
    this.#ctx.atimes.dropPrefix(bckUname(bck.provider, bck.name));
    for (const mp of this.#ctx.mountpaths) {
      for (;;) {
        const keys = bucketKeys(mp.index, bck, DESTROY_BATCH_SIZE);
        if (keys.length === 0) break;
        await Promise.all(keys.map((k) => mp.index.remove(k)));
      }
      await this.#env.disk.rmrf(bckDir(mp.path, bck));
    }
  }

  /** The available mountpaths (HRW places objects on them). */
  /** Decommission with `rm_user_data`: every object on every mountpath, index first. */
  async wipe(): Promise<void> {
    this.#assertOpen();
    this.#ctx.atimes.take();
    for (const mp of this.#ctx.mountpaths) {
      for (;;) {
        const keys = [...mp.index.range({ start: '', limit: DESTROY_BATCH_SIZE, keysOnly: true })].map((e) => e.key);
        if (keys.length === 0) break;
        await Promise.all(keys.map((k) => mp.index.remove(k)));
      }
      await mp.index.flush();
      for (const e of await readdirOrEmpty(this.#env, mp.path)) {
        if (e.isDirectory && e.name.startsWith(PROVIDER_DIR_PREFIX)) await this.#env.disk.rmrf(`${mp.path}/${e.name}`);
      }
    }
  }

  mountpathPaths(): string[] {
    return this.#ctx.avail.map((mp) => mp.path);
  }

  /** `GET /v1/daemon?what=mountpaths` (AIS MountpathList). */
  mountpathList(): MountpathList {
    return this.mpaths.list();
  }

  /** Moves every object to its HRW mountpath, then lets waiting mountpaths leave (resilver.ts). */
  resilver(signal: AbortSignal, report: (p: ResilverProgress) => void): Promise<ResilverProgress> {
    this.#assertOpen();
    return resilver(this.#ctx, this.mpaths, signal, report);
  }

  async mountpaths(): Promise<MountpathInfo[]> {
    const out: MountpathInfo[] = [];
    for (const mp of this.#ctx.mountpaths) {
      const fs = await this.#env.disk.statfs(mp.path);
      const usedPct = fs.totalBytes > 0 ? Math.round(((fs.totalBytes - fs.freeBytes) * 100) / fs.totalBytes) : 0;
      out.push({ path: mp.path, totalBytes: fs.totalBytes, freeBytes: fs.freeBytes, usedPct });
    }
    return out;
  }

  /** Writes the pending atimes to the indexes (one batched commit per mountpath). */
  flushAtimes(): Promise<void> {
    if (this.#atimeFlushing) return this.#atimeFlushing;
    const batch = this.#ctx.atimes.take();
    if (batch.size === 0) return Promise.resolve();
    const ctx = this.#ctx;
    const writes: Promise<void>[] = [];
    for (const [uname, p] of batch) {
      writes.push(
        ctx.locks.run(uname, async () => {
          if (!ctx.mountpaths.includes(p.mountpath)) return; // its mountpath left meanwhile
          const v = p.mountpath.index.get(uname);
          if (!v) return; // deleted meanwhile
          const meta = decodeLom(v);
          if (BigInt(meta.atimeNs) >= p.atimeNs) return;
          await p.mountpath.index.put(uname, encodeLom({ ...meta, atimeNs: p.atimeNs.toString() }));
        }),
      );
    }
    this.#atimeFlushing = Promise.all(writes)
      .then(() => undefined)
      .catch((err: unknown) => this.#env.log.warn({ err: String(err) }, 'storage: atime flush failed'))
      .finally(() => {
        this.#atimeFlushing = undefined;
      });
    return this.#atimeFlushing;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#atimeTimer !== undefined) this.#env.timers.clearInterval(this.#atimeTimer);
    await this.flushAtimes();
    await this.flushAtimes(); // a batch recorded while the first flush ran
    this.#closed = true;
    for (const mp of this.#ctx.mountpaths) {
      await mp.index.flush();
      await mp.index.close();
    }
  }

  #assertOpen(): void {
    assert(!this.#closed, 'storage: used after close');
  }
}

function isIoError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'EIO' || code === 'EROFS' || code === 'EACCES' || code === 'ENOSPC';
}

/** Removes `<mpath>/@<provider>/<bucket>/%wk/*`; returns how many work files there were. */
async function removeWorkFiles(env: Env, mpath: string): Promise<number> {
  let n = 0;
  for (const prov of await readdirOrEmpty(env, mpath)) {
    if (!prov.isDirectory || !prov.name.startsWith(PROVIDER_DIR_PREFIX)) continue;
    for (const b of await readdirOrEmpty(env, `${mpath}/${prov.name}`)) {
      if (!b.isDirectory) continue;
      const wk = `${mpath}/${prov.name}/${b.name}/${WORK_DIR_NAME}`;
      const files = await readdirOrEmpty(env, wk);
      if (files.length === 0) continue;
      n += files.length;
      await env.disk.rmrf(wk);
    }
  }
  return n;
}


export type { BckRef } from './layout.ts';
export type { ObjMeta } from './lom.ts';
export type { PutOpts } from './put.ts';
export type { ByteRange, GetResult } from './get.ts';
export type { CompletePart, Upload, UploadPart } from './uploads.ts';
export type { ListEntry, ListOpts } from './list.ts';
