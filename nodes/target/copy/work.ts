// copy-bck on one target (AIS xs/tcb.go): walk this target's objects of the source (prefix filter),
// name each `prepend + name`, and put it on its HRW owner for the destination: locally, or over the
// intra-data endpoint (small objects batched per owner in `copy.objs`, big ones in numbered chunks;
// at most COPY_WINDOW_CHUNKS messages unacknowledged per job). Done when the walk is over, every send acknowledged,
// and every peer said it is done sending (so in-objs is complete), bounded by COPY_PEERS_WAIT_MS.
import type { CopyJobValue } from '../../../protocol/copy.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import { activeTargets, type Snode } from '../../../protocol/smap.ts';
import type { JobWork } from '../../../actors/xact/machine.ts';
import { scanBucket } from '../../../actors/xact/store.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { GetResult, Storage } from '../storage/storage.ts';
import type { CopyStates } from './state.ts';
import { Window } from './window.ts';
import { Shipper } from './shipper.ts';
import { notifyDone, waitPeers } from './peers.ts';

/** Unacknowledged messages per job and target (flow control: ~8 MiB on the wire; with the ready
 * batches waiting for a slot and one open batch per peer, ~25 MiB per job per target in all). */
export const COPY_WINDOW_CHUNKS = 8;
/** Objects one target copies at once (default of TCBMsg num-workers). */
export const COPY_OBJS_INFLIGHT_DEFAULT = 16;
export const COPY_OBJS_INFLIGHT_MAX = 256;
/** How long a target that is done waits for its peers' `copy.done` (a peer that died never sends). */
export const COPY_PEERS_WAIT_MS = 60_000;
/** Publish counters every this many objects. */
export const COPY_REPORT_EVERY_OBJS = 64;
/** Failed object names quoted in the job's error. */
export const COPY_ERRORS_SHOWN_MAX = 4;

export interface CopyDeps {
  core: NodeCore;
  storage: Storage;
  states: CopyStates;
}

export function copyWork(deps: CopyDeps, xid: string, src: BckRefWire, v: CopyJobValue): JobWork {
  const { core, storage, states } = deps;
  return async ({ signal, report }) => {
    const st = states.get(xid);
    const c = st.counters;
    let reported = 0;
    st.report = () => {
      const total = c.locObjs + c.inObjs;
      if (total - reported >= COPY_REPORT_EVERY_OBJS) {
        reported = total;
        report({ ...c });
      }
    };
    const smap = core.owner.smap;
    const peers = smap ? activeTargets(smap).filter((t) => t.daemon_id !== core.id) : [];
    const objs = new Window(Math.min(v.numWorkers > 0 ? v.numWorkers : COPY_OBJS_INFLIGHT_DEFAULT, COPY_OBJS_INFLIGHT_MAX));
    const failed: string[] = [];
    let nfailed = 0;
    const running = new Set<Promise<void>>();
    const fail = (name: string, e: unknown): void => {
      nfailed++;
      if (failed.length < COPY_ERRORS_SHOWN_MAX) failed.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    };
    const shipper = new Shipper(core, xid, signal, COPY_WINDOW_CHUNKS, (dst, size, err) => {
      if (err) return fail(dst.name, err);
      c.outObjs++;
      c.outBytes += size;
    });

    const copyOne = async (name: string): Promise<void> => {
      const dstName = v.prepend + name;
      const owner = core.ownerOf(v.bckTo, dstName);
      if (owner === undefined) throw new Error('no targets');
      let got: GetResult;
      try {
        got = await storage.get(src, name);
      } catch (e) {
        if ((e as { status?: number }).status === 404) return; // deleted meanwhile
        throw e;
      }
      if (owner.daemon_id === core.id) {
        const opts = {
          cksumType: v.dstCksumType,
          expected: got.meta.cksumType === v.dstCksumType && got.meta.cksumType !== 'none' && got.meta.cksumValue ? { type: got.meta.cksumType, value: got.meta.cksumValue } : undefined,
          contentLength: got.meta.size,
          customMd: got.meta.customMd,
          versioning: v.dstVersioning,
          writePolicy: core.feature('Fsync-PUT') ? 'immediate' : 'delayed',
        } as const;
        if (got.data) await storage.putBytes(v.bckTo, dstName, got.data, opts);
        else await storage.put(v.bckTo, dstName, got.stream!, opts);
        return;
      }
      await shipper.ship(owner, { bck: v.bckTo, name: dstName, cksumType: v.dstCksumType, versioning: v.dstVersioning }, got);
    };

    try {
      for (const o of scanBucket(storage, src, v.prefix, signal)) {
        c.locObjs++;
        c.locBytes += o.meta.size;
        st.report?.();
        if (v.dryRun) {
          if (c.locObjs % COPY_REPORT_EVERY_OBJS === 0) await Promise.resolve(); // let an abort in
          continue;
        }
        await objs.acquire();
        signal.throwIfAborted();
        const p: Promise<void> = copyOne(o.name)
          .catch((e: unknown) => fail(o.name, e))
          .finally(() => {
            objs.release();
            running.delete(p);
          });
        running.add(p);
      }
      await Promise.all(running);
      await shipper.flush();
      signal.throwIfAborted();
    } finally {
      notifyDone(core, peers, xid);
    }
    await waitPeers(core, st, peers, signal, COPY_PEERS_WAIT_MS, 'copy-bck');
    st.report = undefined;
    states.drop(xid);
    const err = nfailed === 0 ? undefined : `${nfailed} object(s) failed to copy: ${failed.join('; ')}${nfailed > failed.length ? '; ...' : ''}`;
    return { counters: { ...c }, err };
  };
}
