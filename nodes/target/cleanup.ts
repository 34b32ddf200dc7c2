// space-cleanup on one target (AIS kind `cleanup-store`, xs/lru-like store cleanup): removes work
// files older than CLEANUP_WORK_AGE_MS (PUTs or copies that died without cleaning up; a live PUT
// rewrites its file all the time) and the files and index entries of buckets no longer in the BMD.
// Also multipart uploads untouched for CLEANUP_UPLOAD_AGE_MS (storage/uploads.ts) and chunk dirs
// that no LOM references (a crash between Complete's rename and its index write, or between an
// overwrite's index write and the old chunks' removal). Counters: loc-objs/bytes = files and bytes removed.
import { bmdGet } from '../../protocol/bmd.ts';
import { ZERO_COUNTERS, type Counters } from '../../protocol/xact.ts';
import type { JobWork } from '../../actors/xact/machine.ts';
import type { Env } from '../../runtime/env/types.ts';
import type { NodeCore } from '../common/node-core.ts';
import { readdirOrEmpty } from './storage/fs-errors.ts';
import { CHUNKS_DIR_NAME, OBJ_DIR_NAME, PROVIDER_DIR_PREFIX, UPLOADS_DIR_NAME, WORK_DIR_NAME } from './storage/layout.ts';
import type { Storage } from './storage/storage.ts';

/** A work file untouched this long belongs to no live PUT. */
export const CLEANUP_WORK_AGE_MS = 60 * 60 * 1000;
/** A multipart upload whose manifest has not changed this long is abandoned (AIS: 24 h too). */
export const CLEANUP_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;
/**
 * An unreferenced chunk dir is removed only when this old: a Complete renames its dir in before it
 * writes the index entry, so a young one may be about to be referenced.
 */
export const CLEANUP_CHUNKS_AGE_MS = CLEANUP_WORK_AGE_MS;

/** Directory depth walked under a bucket's object dir (object names nest as directories). */
export const CLEANUP_DEPTH_MAX = 64;


/** Files and bytes under `dir`, recursively. */
async function usage(env: Env, dir: string, depth = 0): Promise<{ objs: number; bytes: number }> {
  const u = { objs: 0, bytes: 0 };
  if (depth > CLEANUP_DEPTH_MAX) return u;
  for (const e of await readdirOrEmpty(env, dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) {
      const sub = await usage(env, p, depth + 1);
      u.objs += sub.objs;
      u.bytes += sub.bytes;
    } else if (e.isFile) {
      u.objs++;
      u.bytes += (await env.disk.stat(p))?.size ?? 0;
    }
  }
  return u;
}

export function cleanupWork(core: NodeCore, storage: Storage): JobWork {
  return async ({ signal, report }) => {
    const { env } = core;
    const c: Counters = { ...ZERO_COUNTERS };
    const now = env.clock.realtimeMs();
    const orphans = new Map<string, { provider: string; name: string }>();
    for (const mp of storage.mountpathPaths()) {
      for (const prov of await readdirOrEmpty(env, mp)) {
        if (!prov.isDirectory || !prov.name.startsWith(PROVIDER_DIR_PREFIX)) continue;
        const provider = prov.name.slice(PROVIDER_DIR_PREFIX.length);
        for (const b of await readdirOrEmpty(env, `${mp}/${prov.name}`)) {
          signal.throwIfAborted();
          if (!b.isDirectory) continue;
          const dir = `${mp}/${prov.name}/${b.name}`;
          const bmd = core.owner.bmd;
          if (bmd !== undefined && bmdGet(bmd, provider, b.name) === undefined) {
            const u = await usage(env, `${dir}/${OBJ_DIR_NAME}`);
            c.locObjs += u.objs;
            c.locBytes += u.bytes;
            orphans.set(`${provider}/${b.name}`, { provider, name: b.name });
            continue;
          }
          for (const f of await readdirOrEmpty(env, `${dir}/${WORK_DIR_NAME}`)) {
            const p = `${dir}/${WORK_DIR_NAME}/${f.name}`;
            const s = await env.disk.stat(p);
            if (s === undefined || now - s.mtimeMs < CLEANUP_WORK_AGE_MS) continue;
            if (s.isDirectory) await env.disk.rmrf(p);
            else await env.disk.unlink(p);
            c.locObjs++;
            c.locBytes += s.size;
          }
          await cleanupMpt(env, storage, mp, { provider, name: b.name }, dir, now, c);
          report({ ...c });
        }
      }
    }
    // Re-checked: a bucket created while we walked is not an orphan. destroyBucket drops the
    // index entries first, then the directories on every mountpath.
    for (const bck of orphans.values()) {
      signal.throwIfAborted();
      const bmd = core.owner.bmd;
      if (bmd !== undefined && bmdGet(bmd, bck.provider, bck.name) !== undefined) continue;
      await storage.destroyBucket(bck);
      env.log.info({ bck: `${bck.provider}://${bck.name}` }, 'space-cleanup: removed the data of a bucket not in the BMD');
    }
    return { counters: c };
  };
}

/** Abandoned uploads and unreferenced chunk dirs of one bucket on one mountpath. */
async function cleanupMpt(env: Env, storage: Storage, mpath: string, bck: { provider: string; name: string }, dir: string, now: number, c: Counters): Promise<void> {
  const remove = async (p: string): Promise<void> => {
    const u = await usage(env, p);
    await env.disk.rmrf(p);
    c.locObjs += u.objs;
    c.locBytes += u.bytes;
  };
  for (const u of await readdirOrEmpty(env, `${dir}/${UPLOADS_DIR_NAME}`)) {
    const p = `${dir}/${UPLOADS_DIR_NAME}/${u.name}`;
    // the manifest is rewritten with every part: its mtime is the upload's last activity
    const s = (await env.disk.stat(`${p}/manifest`)) ?? (await env.disk.stat(p));
    if (s === undefined || now - s.mtimeMs < CLEANUP_UPLOAD_AGE_MS) continue;
    await remove(p);
    env.log.info({ bck: `${bck.provider}://${bck.name}`, upload: u.name }, 'space-cleanup: removed an abandoned multipart upload');
  }
  const chunkDirs = await readdirOrEmpty(env, `${dir}/${CHUNKS_DIR_NAME}`);
  if (chunkDirs.length === 0) return;
  const live = storage.referencedChunkDirs(mpath, bck);
  if (live === undefined) return;
  for (const d of chunkDirs) {
    if (live.has(d.name)) continue;
    const p = `${dir}/${CHUNKS_DIR_NAME}/${d.name}`;
    const s = await env.disk.stat(p);
    if (s === undefined || now - s.mtimeMs < CLEANUP_CHUNKS_AGE_MS) continue;
    // re-checked right before: a Complete may have referenced it since the scan
    if (storage.referencedChunkDirs(mpath, bck)?.has(d.name) !== false) continue;
    await remove(p);
    env.log.info({ bck: `${bck.provider}://${bck.name}`, chunks: d.name }, 'space-cleanup: removed an orphaned chunk dir');
  }
}
