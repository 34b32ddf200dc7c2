// A PUT that lands on a target that is not (or no longer) the object's HRW owner — the proxy's Smap
// lagged, or a new Smap arrived mid-PUT — is moved to the owner before it is acknowledged, with the
// rebalance transfer (identity kept). A failed move removes the local copy and fails the PUT, so an
// acknowledged object is always at its owner (or moved there by the rebalance that follows).
import { ErrObjNotFound, ErrPeerUnreachable } from '../../../protocol/errors.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { GetResult, Storage } from '../storage/storage.ts';
import { Shipper } from '../copy/shipper.ts';

const FORWARD_WINDOW_CHUNKS = 8;
/** Attempts to hand a misplaced PUT to its owner, this far apart. */
export const FORWARD_ATTEMPTS = 5;
export const FORWARD_RETRY_MS = 100;

export async function forwardIfMisplaced(core: NodeCore, storage: Storage, bck: BckRefWire, name: string): Promise<void> {
  let failure: Error | undefined;
  let to = '';
  // Smaps converge within a metasync: an owner that does not agree yet is asked again, briefly.
  for (let attempt = 0; attempt < FORWARD_ATTEMPTS; attempt++) {
    if (attempt > 0) await core.env.timers.sleep(FORWARD_RETRY_MS);
    const owner = core.ownerOf(bck, name);
    if (owner === undefined || owner.daemon_id === core.id) return; // ours after all (a newer Smap)
    to = owner.daemon_id;
    let got: GetResult;
    try {
      got = await storage.get(bck, name);
    } catch (e) {
      // Gone already: the rebalance walk moved it to its owner (or a DELETE came right after).
      if (e instanceof ErrObjNotFound || (e as { status?: number }).status === 404) return;
      throw e;
    }
    const m = got.meta;
    const keep = { version: m.version, mtimeMs: m.mtimeMs, atimeNs: m.atimeNs };
    failure = undefined;
    const shipper = new Shipper(core, `fwd-${core.id}`, new AbortController().signal, FORWARD_WINDOW_CHUNKS, (_dst, _size, err) => {
      failure ??= err;
    });
    await shipper.ship(owner, { bck, name, cksumType: m.cksumType, versioning: false, keep }, got);
    await shipper.flush();
    if (failure === undefined) {
      await storage.deleteIf(bck, name, (cur) => cur.mtimeMs === keep.mtimeMs && cur.version === keep.version, { sync: core.feature('Fsync-PUT'), fileFirst: true });
      core.env.log.debug({ bck: bck.name, name, to }, 'misplaced PUT moved to its owner');
      return;
    }
  }
  // Give up: the PUT fails and leaves nothing here (the owner keeps what it had).
  const cur = storage.head(bck, name);
  if (cur) await storage.deleteIf(bck, name, (m) => m.mtimeMs === cur.mtimeMs && m.version === cur.version, { sync: core.feature('Fsync-PUT') });
  throw new ErrPeerUnreachable(`PUT ${bck.name}/${name}: this target is not its owner and moving it to ${to} failed: ${(failure as Error | undefined)?.message ?? ''}`);
}
