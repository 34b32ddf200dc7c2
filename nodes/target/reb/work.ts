// Global rebalance on one target (AIS reb/): walk every object of every bucket on this target's
// mountpaths; each one whose HRW owner under the current Smap is another target is sent there with
// its identity (`keep`: version, mtime, atime) over the intra-data transfer messages, and deleted
// here only once the receiver acknowledged it (it stored it, or it holds something newer, or the
// name was deleted meanwhile). Failed moves are retried with back-off. Then, as copy-bck: tell every
// peer we are done and wait until they are, so that what we received is complete; objects received
// meanwhile are re-checked (their owner may have changed again). A clean finish everywhere ends the
// rebalance here (no more get-from-neighbor, tombstones dropped).
import { bmdBuckets } from '../../../protocol/bmd.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import { rebTargets, type Snode } from '../../../protocol/smap.ts';
import type { JobWork } from '../../../actors/xact/machine.ts';
import { scanBucket } from '../../../actors/xact/store.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { GetResult, Storage } from '../storage/storage.ts';
import type { CopyStates } from '../copy/state.ts';
import { Shipper } from '../copy/shipper.ts';
import { Window } from '../copy/window.ts';
import { notifyDone, waitPeers } from '../copy/peers.ts';
import type { RebState } from './state.ts';
import { XactMsg } from '../../../protocol/intra.ts';
import type { Snap } from '../../../protocol/xact.ts';
import type { CopyState } from '../copy/state.ts';

/** Unacknowledged transfer messages per target (flow control, as copy-bck). */
export const REB_WINDOW_CHUNKS = 16;
/** Objects read and handed to the shipper at once. */
export const REB_OBJS_INFLIGHT = 16;
/** Retry rounds for objects that failed to move (receiver down, disk error), with back-off. */
export const REB_RETRY_ROUNDS = 6;
export const REB_RETRY_MS_MIN = 500;
export const REB_RETRY_MS_MAX = 8_000;
/** How long a target that is done waits for its peers (a peer that died never says it is done). */
export const REB_PEERS_WAIT_MS = 60_000;
/** While waiting, peers that have not said they are done are asked this often (a peer that finished
 * before this target started, or whose `done` was lost with a connection, never says it again). */
export const REB_PEERS_POLL_MS = 2_000;
export const REB_QUERY_TIMEOUT_MS = 5_000;
/** A rebalance whose Smap has not arrived yet waits for it this long (keepalive repairs it). */
export const REB_SMAP_WAIT_MS = 30_000;
export const REB_SMAP_WAIT_POLL_MS = 100;
/** Publish counters every this many objects. */
export const REB_REPORT_EVERY_OBJS = 64;
export const REB_ERRORS_SHOWN_MAX = 4;

export interface RebDeps {
  core: NodeCore;
  storage: Storage;
  states: CopyStates;
  reb: RebState;
}

interface Item {
  bck: BckRefWire;
  name: string;
}

const keyOf = (it: Item): string => `${it.bck.provider}/${it.bck.name}/${it.name}`;

export function rebWork(deps: RebDeps, id: string, version: number, smapVersion: number): JobWork {
  const { core, storage, states, reb } = deps;
  return async ({ signal, report }) => {
    await waitSmap(core, smapVersion, signal);
    await reb.started(version);
    const st = states.get(id);
    const c = st.counters;
    let reported = 0;
    st.report = () => {
      const total = c.locObjs + c.outObjs + c.inObjs;
      if (total - reported >= REB_REPORT_EVERY_OBJS) {
        reported = total;
        report({ ...c });
      }
    };
    const smap0 = core.owner.smap;
    const peers: Snode[] = smap0 ? rebTargets(smap0).filter((t) => t.daemon_id !== core.id) : [];
    const failed = new Map<string, Item & { err: string }>();
    const deletes = new Set<Promise<void>>();
    const sync = core.feature('Fsync-PUT');
    const shipper = new Shipper(core, id, signal, REB_WINDOW_CHUNKS, (dst, size, err) => {
      const it = { bck: dst.bck, name: dst.name };
      core.env.log.debug({ id, name: dst.name, err: err?.message }, 'rebalance: sent');
      if (err) {
        failed.set(keyOf(it), { ...it, err: err.message });
        return;
      }
      c.outObjs++;
      c.outBytes += size;
      st.report?.();
      // Only the copy that was sent: a newer one written here meanwhile stays (and is re-checked).
      const keep = dst.keep!;
      const p: Promise<void> = storage
        .deleteIf(dst.bck, dst.name, (m) => m.mtimeMs === keep.mtimeMs && m.version === keep.version, { sync, fileFirst: true })
        .then(
          (deleted) => {
            if (!deleted && storage.head(dst.bck, dst.name) !== undefined) failed.set(keyOf(it), { ...it, err: 'changed while moving' });
          },
          (e: unknown) => void failed.set(keyOf(it), { ...it, err: `delete after move: ${(e as Error).message}` }),
        )
        .finally(() => deletes.delete(p));
      deletes.add(p);
    });

    const moveOne = async (it: Item): Promise<void> => {
      const owner = core.ownerOf(it.bck, it.name);
      if (owner === undefined || owner.daemon_id === core.id) return;
      let got: GetResult;
      try {
        got = await storage.get(it.bck, it.name);
      } catch (e) {
        if ((e as { status?: number }).status === 404) return; // deleted meanwhile
        throw e;
      }
      const m = got.meta;
      const keep = { version: m.version, mtimeMs: m.mtimeMs, atimeNs: m.atimeNs };
      await shipper.ship(owner, { bck: it.bck, name: it.name, cksumType: m.cksumType, versioning: false, keep }, got);
    };

    const objs = new Window(REB_OBJS_INFLIGHT);
    const running = new Set<Promise<void>>();
    const pass = async (items: Iterable<Item>): Promise<void> => {
      for (const it of items) {
        await objs.acquire();
        if (signal.aborted) {
          objs.release();
          break;
        }
        const p: Promise<void> = moveOne(it)
          .catch((e: unknown) => void failed.set(keyOf(it), { ...it, err: (e as Error).message }))
          .finally(() => {
            objs.release();
            running.delete(p);
          });
        running.add(p);
      }
      await Promise.all(running);
      await shipper.flush().catch(() => undefined); // an abort: reported below
      await Promise.all(deletes);
      signal.throwIfAborted();
    };

    function* walk(): Generator<Item> {
      const bmd = core.owner.bmd;
      if (!bmd) return;
      for (const b of bmdBuckets(bmd)) {
        const bck = { provider: b.provider, name: b.name };
        for (const o of scanBucket(storage, bck, '', signal)) {
          c.locObjs++;
          c.locBytes += o.meta.size;
          yield { bck, name: o.name };
        }
      }
    }

    try {
      await pass(walk());
      let delayMs = REB_RETRY_MS_MIN;
      for (let round = 0; failed.size > 0 && round < REB_RETRY_ROUNDS; round++) {
        await core.env.timers.sleep(delayMs);
        signal.throwIfAborted();
        delayMs = Math.min(delayMs * 2, REB_RETRY_MS_MAX);
        const again = [...failed.values()];
        failed.clear();
        await pass(again);
      }
      await pass(reb.takeReceived());
    } finally {
      notifyDone(core, peers, id);
    }
    const allDone = await waitRebPeers(core, st, peers, signal, id);
    await pass(reb.takeReceived());
    st.report = undefined;
    states.drop(id);
    if (allDone && failed.size === 0 && (await reb.completed(version))) storage.clearTombstones();
    let err: string | undefined;
    if (failed.size > 0) {
      const shown = [...failed.values()].slice(0, REB_ERRORS_SHOWN_MAX).map((f) => `${f.bck.name}/${f.name}: ${f.err}`);
      err = `${failed.size} object(s) could not be moved: ${shown.join('; ')}${failed.size > shown.length ? '; ...' : ''}`;
    } else if (!allDone) {
      err = `peers did not finish: ${peers.filter((p) => !st.peersDone.has(p.daemon_id)).map((p) => p.daemon_id).join(', ')}`;
    }
    return { counters: { ...c }, err };
  };
}

/** The Smap this rebalance is for (the RMD names it): moving objects by an older one would be wrong. */
async function waitSmap(core: NodeCore, smapVersion: number, signal: AbortSignal): Promise<void> {
  const deadline = core.env.clock.monotonicMs() + REB_SMAP_WAIT_MS;
  while (core.owner.version('smap') < smapVersion) {
    signal.throwIfAborted();
    if (core.env.clock.monotonicMs() >= deadline) throw new Error(`cluster map v${smapVersion} of this rebalance never arrived (have v${core.owner.version('smap')})`);
    await core.env.timers.sleep(REB_SMAP_WAIT_POLL_MS);
  }
}

async function waitRebPeers(core: NodeCore, st: CopyState, peers: readonly Snode[], signal: AbortSignal, id: string): Promise<boolean> {
  const deadline = core.env.clock.monotonicMs() + REB_PEERS_WAIT_MS;
  for (;;) {
    const pending = peers.filter((p) => !st.peersDone.has(p.daemon_id));
    if (pending.length === 0) return true;
    if (core.env.clock.monotonicMs() >= deadline) {
      core.env.log.warn({ id, missing: pending.map((p) => p.daemon_id) }, 'rebalance: peers did not finish in time');
      return false;
    }
    if (await waitPeers(core, st, pending, signal, REB_PEERS_POLL_MS)) return true;
    await Promise.all(
      pending.map(async (p) => {
        try {
          const snaps = await core.ctrl.request<Snap[]>(p.intra_control_net.direct_url, XactMsg.query, { id }, { timeoutMs: REB_QUERY_TIMEOUT_MS });
          if (snaps.some((s) => s.state === 'finished')) st.peersDone.add(p.daemon_id);
        } catch {
          /* unreachable now: ask again at the next poll */
        }
      }),
    );
  }
}
