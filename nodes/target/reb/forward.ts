// A PUT that lands on a target that is not (or no longer) the object's HRW owner — the proxy's Smap
// lagged, or a new Smap arrived mid-PUT — is moved to the owner before it is acknowledged, with the
// rebalance transfer (identity kept). A failed move removes the local copy and fails the PUT, so an
// acknowledged object is always at its owner (or moved there by the rebalance that follows).
import { ErrPeerUnreachable } from '../../../protocol/errors.ts';
import type { BckRefWire } from '../../../protocol/intra.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { Storage } from '../storage/storage.ts';
import { Shipper } from '../copy/shipper.ts';

const FORWARD_WINDOW_CHUNKS = 8;

export async function forwardIfMisplaced(core: NodeCore, storage: Storage, bck: BckRefWire, name: string): Promise<void> {
  const owner = core.ownerOf(bck, name);
  if (owner === undefined || owner.daemon_id === core.id) return;
  const got = await storage.get(bck, name);
  const m = got.meta;
  const keep = { version: m.version, mtimeMs: m.mtimeMs, atimeNs: m.atimeNs };
  let failure: Error | undefined;
  const shipper = new Shipper(core, `fwd-${core.id}`, new AbortController().signal, FORWARD_WINDOW_CHUNKS, (_dst, _size, err) => {
    failure ??= err;
  });
  await shipper.ship(owner, { bck, name, cksumType: m.cksumType, versioning: false, keep }, got);
  await shipper.flush();
  await storage.deleteIf(bck, name, (cur) => cur.mtimeMs === keep.mtimeMs && cur.version === keep.version, { sync: core.feature('Fsync-PUT') });
  if (failure) throw new ErrPeerUnreachable(`PUT ${bck.name}/${name}: this target is not its owner and moving it to ${owner.daemon_id} failed: ${failure.message}`);
  core.env.log.debug({ bck: bck.name, name, to: owner.daemon_id }, 'misplaced PUT moved to its owner');
}
