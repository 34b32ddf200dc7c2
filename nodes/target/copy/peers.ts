// The end of a target-to-target job (copy-bck, rebalance): a target tells every peer it is done
// sending (`copy.done`), then waits until every peer said the same, so that what it received is
// complete. Bounded: a peer that died never says it.
import { CopyMsg } from '../../../protocol/copy.ts';
import type { Snode } from '../../../protocol/smap.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { CopyState } from './state.ts';

export function notifyDone(core: NodeCore, peers: readonly Snode[], xid: string): void {
  for (const p of peers) {
    try {
      core.data.notify(p.intra_data_net.direct_url, CopyMsg.done, { xid });
    } catch {
      /* a peer that is gone does not wait for us */
    }
  }
}

/** Resolves true once every peer is done, false after `waitMs`; throws if `signal` aborts. */
export async function waitPeers(core: NodeCore, st: CopyState, peers: readonly Snode[], signal: AbortSignal, waitMs: number, what?: string): Promise<boolean> {
  const { timers } = core.env;
  const all = () => peers.every((p) => st.peersDone.has(p.daemon_id));
  if (all()) return true;
  const ok = await new Promise<boolean>((resolve) => {
    const finish = (done: boolean) => {
      timers.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      st.wake = undefined;
      resolve(done);
    };
    const onAbort = () => finish(false);
    const timer = timers.setTimeout(() => {
      if (what) core.env.log.warn({ missing: peers.filter((p) => !st.peersDone.has(p.daemon_id)).map((p) => p.daemon_id) }, `${what}: peers did not finish in time`);
      finish(false);
    }, waitMs);
    signal.addEventListener('abort', onAbort);
    st.wake = () => {
      if (all()) finish(true);
    };
  });
  signal.throwIfAborted();
  return ok;
}
