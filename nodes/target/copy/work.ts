// copy-bck on one target (AIS xs/tcb.go): walk this target's objects of the source (prefix filter),
// name each `prepend + name`, and put it on its HRW owner for the destination: locally, or over the
// intra-data endpoint (small objects batched per owner in `copy.objs`, big ones in numbered chunks;
// at most COPY_WINDOW_CHUNKS messages unacknowledged per job). Done when the walk is over, every send acknowledged,
// and every peer said it is done sending (so in-objs is complete), bounded by COPY_PEERS_WAIT_MS.
import { bckUname } from '../../../protocol/bmd.ts';
import { CopyMsg, type CopyBatchBody, type CopyBatchReply, type CopyJobValue, type CopyObjBody } from '../../../protocol/copy.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import { activeTargets, type Snode } from '../../../protocol/smap.ts';
import type { JobWork } from '../../../actors/xact/machine.ts';
import { scanBucket } from '../../../actors/xact/store.ts';
import { targetCandidates } from '../../cluster/smap.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { GetResult, Storage } from '../storage/storage.ts';
import type { CopyStates } from './state.ts';
import { Batches, COPY_BATCH_BYTES_MAX, type Batch } from './batch.ts';
import { Window } from './window.ts';

/** Objects up to this size travel whole (batched); bigger ones in chunks of this size. */
export const COPY_CHUNK_BYTES = 1024 * 1024;
/** Unacknowledged messages per job and target (flow control: ~8 MiB on the wire; with the ready
 * batches waiting for a slot and one open batch per peer, ~25 MiB per job per target in all). */
export const COPY_WINDOW_CHUNKS = 8;
/** Objects one target copies at once (default of TCBMsg num-workers). */
export const COPY_OBJS_INFLIGHT_DEFAULT = 16;
export const COPY_OBJS_INFLIGHT_MAX = 256;
export const COPY_SEND_TIMEOUT_MS = 60_000;
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

async function* chunksOf(got: GetResult): AsyncGenerator<Uint8Array> {
  if (got.data) {
    for (let off = 0; off < got.data.byteLength || off === 0; off += COPY_CHUNK_BYTES) {
      yield got.data.subarray(off, off + COPY_CHUNK_BYTES);
      if (got.data.byteLength === 0) return;
    }
    return;
  }
  let parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of got.stream!) {
    let buf = c as Uint8Array;
    while (buf.byteLength > 0) {
      const take = Math.min(buf.byteLength, COPY_CHUNK_BYTES - n);
      parts.push(buf.subarray(0, take));
      n += take;
      buf = buf.subarray(take);
      if (n === COPY_CHUNK_BYTES) {
        yield Buffer.concat(parts);
        parts = [];
        n = 0;
      }
    }
  }
  if (n > 0 || parts.length > 0) yield Buffer.concat(parts);
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
    const window = new Window(COPY_WINDOW_CHUNKS);
    const objs = new Window(Math.min(v.numWorkers > 0 ? v.numWorkers : COPY_OBJS_INFLIGHT_DEFAULT, COPY_OBJS_INFLIGHT_MAX));
    const failed: string[] = [];
    let nfailed = 0;
    let sid = 0;
    const running = new Set<Promise<void>>();
    const batches = new Batches<Snode>();
    const sends = new Set<Promise<void>>();
    const fail = (name: string, e: unknown): void => {
      nfailed++;
      if (failed.length < COPY_ERRORS_SHOWN_MAX) failed.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    };

    const copyOne = async (name: string): Promise<void> => {
      const dstName = v.prepend + name;
      const cur = core.owner.smap;
      const owner = cur && core.hrw.select(targetCandidates(cur), bckUname(v.bckTo.provider, v.bckTo.name) + dstName)?.node;
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
      if (got.data && got.meta.size <= COPY_BATCH_BYTES_MAX) {
        const { meta } = got;
        const ready = batches.add(owner.daemon_id, owner, { name: dstName, size: meta.size, cksumType: meta.cksumType, cksumValue: meta.cksumValue, customMd: meta.customMd, data: got.data });
        for (const b of ready) await sendBatch(b);
        return;
      }
      await send(owner, dstName, got);
      c.outObjs++;
      c.outBytes += got.meta.size;
    };

    // Waits for a window slot (backpressure on the walk), then sends; the outcome is counted per
    // object when the reply arrives (awaited through `sends` before the job ends).
    const sendBatch = async (b: Batch<Snode>): Promise<void> => {
      await window.acquire();
      if (signal.aborted) {
        window.release();
        signal.throwIfAborted();
      }
      const body: CopyBatchBody = { xid, bck: v.bckTo, dstCksumType: v.dstCksumType, versioning: v.dstVersioning, objs: b.objs };
      const p: Promise<void> = core.data
        .request<CopyBatchReply>(b.to.intra_data_net.direct_url, CopyMsg.objs, body, { timeoutMs: COPY_SEND_TIMEOUT_MS })
        .then(
          (reply) => {
            const bad = new Map(reply.failed.map((f) => [f.name, f.err]));
            for (const o of b.objs) {
              const err = bad.get(o.name);
              if (err !== undefined) {
                fail(o.name, new Error(err));
                continue;
              }
              c.outObjs++;
              c.outBytes += o.size;
            }
          },
          (e: unknown) => {
            for (const o of b.objs) fail(o.name, e);
          },
        )
        .finally(() => {
          window.release();
          sends.delete(p);
        });
      sends.add(p);
    };

    const send = async (owner: Snode, dstName: string, got: GetResult): Promise<void> => {
      const url = owner.intra_data_net.direct_url;
      const base = {
        xid, bck: v.bckTo, name: dstName, size: got.meta.size, cksumType: got.meta.cksumType, cksumValue: got.meta.cksumValue,
        dstCksumType: v.dstCksumType, versioning: v.dstVersioning, customMd: got.meta.customMd,
      };
      const chunked = got.meta.size > COPY_CHUNK_BYTES;
      const id = chunked ? `${xid}.${++sid}` : '';
      const acks: Promise<unknown>[] = [];
      let off = 0;
      try {
        for await (const data of chunksOf(got)) {
          signal.throwIfAborted();
          await window.acquire();
          const last = off + data.byteLength >= got.meta.size;
          const body: CopyObjBody = { ...base, sid: id, off, last, data };
          off += data.byteLength;
          const ack = core.data.request(url, CopyMsg.obj, body, { timeoutMs: COPY_SEND_TIMEOUT_MS }).finally(() => window.release());
          ack.catch(() => {}); // awaited below
          acks.push(ack);
        }
        await Promise.all(acks);
      } catch (e) {
        if (chunked) {
          try {
            core.data.notify(url, CopyMsg.abort, { sid: id });
          } catch {
            /* the peer is gone: its partial work file is space-cleanup's */
          }
        }
        await Promise.allSettled(acks);
        throw e;
      }
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
      for (const b of batches.drain()) await sendBatch(b);
      await Promise.all(sends);
      signal.throwIfAborted();
    } finally {
      for (const p of peers) {
        try {
          core.data.notify(p.intra_data_net.direct_url, CopyMsg.done, { xid });
        } catch {
          /* a peer that is gone does not wait for us */
        }
      }
    }
    await waitPeers(deps, st, peers, signal);
    st.report = undefined;
    states.drop(xid);
    const err = nfailed === 0 ? undefined : `${nfailed} object(s) failed to copy: ${failed.join('; ')}${nfailed > failed.length ? '; ...' : ''}`;
    return { counters: { ...c }, err };
  };
}

async function waitPeers(deps: CopyDeps, st: ReturnType<CopyStates['get']>, peers: Snode[], signal: AbortSignal): Promise<void> {
  const { timers } = deps.core.env;
  const all = () => peers.every((p) => st.peersDone.has(p.daemon_id));
  if (all()) return;
  await new Promise<void>((resolve) => {
    const finish = () => {
      timers.clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      st.wake = undefined;
      resolve();
    };
    const timer = timers.setTimeout(() => {
      deps.core.env.log.warn({ missing: peers.filter((p) => !st.peersDone.has(p.daemon_id)).map((p) => p.daemon_id) }, 'copy-bck: peers did not finish in time');
      finish();
    }, COPY_PEERS_WAIT_MS);
    signal.addEventListener('abort', finish);
    st.wake = () => {
      if (all()) finish();
    };
  });
  signal.throwIfAborted();
}
