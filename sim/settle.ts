// The end of a run with membership changes, as an admin would settle a cluster after failures: one
// rebalance that ends clean on every target, then every object is held by exactly one target — its
// HRW owner, the one the proxy redirects to — and nothing deleted is held anywhere.
import type { SimCluster } from './cluster.ts';
import type { InvariantChecker } from './invariants.ts';
import type { Workload } from './workload.ts';

/** Attempts at a clean final rebalance (one may be aborted by a late membership step). */
export const SETTLE_REBALANCE_ATTEMPTS = 3;
/** Virtual time one rebalance may take to end. */
export const SETTLE_REBALANCE_VIRTUAL_MS_MAX = 180_000;
export const SETTLE_POLL_MS = 500;
/** Virtual time the cluster gets to converge again after the final rebalance (a decommission ends). */
export const SETTLE_CONVERGE_VIRTUAL_MS_MAX = 60_000;

interface Status {
  end_time?: number;
  aborted?: boolean;
  err?: string;
}

export async function finalRebalance(c: SimCluster, inv: InvariantChecker): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < SETTLE_REBALANCE_ATTEMPTS; attempt++) {
    const r = await c.drive(c.client.json('PUT', '/v1/cluster', { action: 'start', value: { kind: 'rebalance' } }));
    if (r.status !== 200) inv.fail(`final rebalance: start answered ${r.status} ${r.text()}`);
    const id = r.text().trim();
    const deadline = c.nowMs + SETTLE_REBALANCE_VIRTUAL_MS_MAX;
    let st: Status = {};
    while (c.nowMs < deadline) {
      const s = await c.drive(c.client.json('GET', '/v1/cluster?what=status', { id }));
      if (s.status === 200) st = JSON.parse(s.text()) as Status;
      if ((st.end_time ?? 0) > 0) break;
      await c.runFor(SETTLE_POLL_MS);
    }
    if ((st.end_time ?? 0) === 0) inv.fail(`final rebalance ${id} did not end within ${SETTLE_REBALANCE_VIRTUAL_MS_MAX} virtual ms`);
    // A lost mountpath's objects cannot move (EIO): that rebalance ends with errors, legitimately.
    if (!st.aborted && (!st.err || inv.lost !== undefined)) {
      await reconverge(c, inv);
      return;
    }
    last = `${id}: ${st.aborted ? 'aborted' : 'ended with errors'}: ${st.err ?? ''}`;
  }
  inv.fail(`final rebalance never ended clean (last: ${last})`);
}

/** A decommission whose rebalance just ended clean takes its last step now: wait for it. */
async function reconverge(c: SimCluster, inv: InvariantChecker): Promise<void> {
  const deadline = c.nowMs + SETTLE_CONVERGE_VIRTUAL_MS_MAX;
  await c.runFor(SETTLE_POLL_MS);
  for (;;) {
    while (c.stopping.size > 0) await c.drive(Promise.all([...c.stopping]));
    if (await c.drive(inv.converged(), SETTLE_CONVERGE_VIRTUAL_MS_MAX)) return;
    if (c.nowMs >= deadline) inv.fail(`cluster did not converge within ${SETTLE_CONVERGE_VIRTUAL_MS_MAX} virtual ms after the final rebalance`);
    await c.runFor(SETTLE_POLL_MS);
  }
}

/**
 * Asks every running target directly (its own HEAD serves only what it holds once no rebalance is
 * settling) which workload names it holds: a certainly present name exactly once, a certainly
 * absent one nowhere, any other at most once.
 */
export async function checkPlacement(c: SimCluster, inv: InvariantChecker, w: Workload): Promise<void> {
  if (inv.lost !== undefined) return; // its rebalance could not finish clean: copies may stay put
  const targets = c.members().filter((s) => s.role === 'target' && c.nodes.has(s.id));
  for (const [name, slot] of w.model) {
    if (inv.isLost(w.bucket, name)) continue;
    const holders: string[] = [];
    for (const t of targets) {
      const url = `http://${t.cfg.host_net.hostname}:${t.cfg.host_net.port}/v1/objects/${encodeURIComponent(w.bucket)}/${name.split('/').map(encodeURIComponent).join('/')}`;
      const r = await c.drive(c.client.requestUrl('HEAD', url, undefined));
      if (r.status === 200) holders.push(t.id);
      else if (r.status !== 404) inv.fail(`placement check: HEAD ${name} on ${t.id} answered ${r.status}`);
    }
    // after an unplanned removal a stale copy may come back (no tombstone survives it): only copies count
    const certain = slot.length === 1 && !inv.membershipChanged;
    const present = certain && slot[0] !== null;
    const absent = certain && slot[0] === null;
    if (present && holders.length !== 1) inv.fail(`${name}: acknowledged present, held by ${holders.length} targets (${holders.join(', ')}) after a clean rebalance`);
    if (absent && holders.length !== 0) inv.fail(`${name}: acknowledged deleted, still held by ${holders.join(', ')} after a clean rebalance`);
    if (holders.length > 1) inv.fail(`${name}: misplaced copies on ${holders.join(', ')} after a clean rebalance`);
  }
}
