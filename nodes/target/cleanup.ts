// space-cleanup on one target (AIS kind `cleanup-store`, xs/lru-like store cleanup): removes work
// files older than CLEANUP_WORK_AGE_MS (PUTs or copies that died without cleaning up; a live PUT
// rewrites its file all the time) and the files and index entries of buckets no longer in the BMD.
// Counters: loc-objs/bytes = files and bytes removed.
import { bmdGet } from '../../protocol/bmd.ts';
import { ZERO_COUNTERS, type Counters } from '../../protocol/xact.ts';
import type { JobWork } from '../../actors/xact/machine.ts';
import type { Env } from '../../runtime/env/types.ts';
import type { NodeCore } from '../common/node-core.ts';
import { readdirOrEmpty } from './storage/fs-errors.ts';
import { OBJ_DIR_NAME, PROVIDER_DIR_PREFIX, WORK_DIR_NAME } from './storage/layout.ts';
import type { Storage } from './storage/storage.ts';

/** A work file untouched this long belongs to no live PUT. */
export const CLEANUP_WORK_AGE_MS = 60 * 60 * 1000;
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
