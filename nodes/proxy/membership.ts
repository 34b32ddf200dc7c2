// Membership changes made by the admin, at the primary (AIS prxcycle.go): start/stop maintenance,
// shutdown-node and decommission-node (`PUT /v1/cluster {action, value: ActValRmNode}`), and
// `POST /v1/cluster/join-by-admin`. A target that stops being an HRW candidate triggers a rebalance;
// shutdown and decommission take their last step (node exits; node leaves the Smap) only once that
// rebalance ended cleanly everywhere, so no object is left behind on the node.
import { ErrInvalidArgument, ErrNotFound } from '../../protocol/errors.ts';
import { rebId, RebMsg, type NodeShutdownReq } from '../../protocol/reb.ts';
import { activeTargets, SnodeFlag, type Smap, type Snode } from '../../protocol/smap.ts';
import { What } from '../../protocol/apc.ts';
import { smapWithNode, smapWithoutNode } from '../cluster/smap.ts';
import type { NodeCore } from '../common/node-core.ts';
import type { Primary } from './primary.ts';
import type { XactAggregate } from './xact.ts';

export const MemberAct = {
  startMaintenance: 'start-maintenance',
  stopMaintenance: 'stop-maintenance',
  shutdownNode: 'shutdown-node',
  decommissionNode: 'decommission-node',
} as const;
export type MemberAction = (typeof MemberAct)[keyof typeof MemberAct];

export const SNODE_FETCH_TIMEOUT_MS = 5_000;
export const SHUTDOWN_REQUEST_TIMEOUT_MS = 5_000;
/** The last step after a clean rebalance (MaintPostReb, shutdown, removal) is retried on failure. */
export const LAST_STEP_RETRIES = 5;
export const LAST_STEP_RETRY_MS = 1_000;

export function isMemberAction(a: string): a is MemberAction {
  return (Object.values(MemberAct) as string[]).includes(a);
}

/** AIS apc.ActValRmNode. */
export interface RmNodeOpts {
  sids: string[];
  skipRebalance: boolean;
  rmUserData: boolean;
  noShutdown: boolean;
}

export function parseRmNode(v: unknown): RmNodeOpts {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ErrInvalidArgument('expected value {"sid": "<node id>", ...}');
  const r = v as Record<string, unknown>;
  const bool = (k: string): boolean => {
    if (r[k] === undefined || r[k] === null) return false;
    if (typeof r[k] !== 'boolean') throw new ErrInvalidArgument(`"${k}" must be a boolean`);
    return r[k];
  };
  let sids: string[] = [];
  if (Array.isArray(r.sids) && r.sids.length > 0) {
    if (r.sids.some((s) => typeof s !== 'string' || s === '')) throw new ErrInvalidArgument('"sids" must be non-empty strings');
    sids = r.sids as string[];
  } else if (typeof r.sid === 'string' && r.sid !== '') {
    sids = [r.sid];
  } else {
    throw new ErrInvalidArgument('missing node id ("sid")');
  }
  return { sids, skipRebalance: bool('skip_rebalance'), rmUserData: bool('rm_user_data'), noShutdown: bool('no_shutdown') };
}

interface Final {
  decommission: boolean;
  rmUserData: boolean;
  noShutdown: boolean;
}

export class Membership {
  readonly #core: NodeCore;
  readonly #primary: Primary;
  /** Nodes waiting for a clean rebalance before their last step. */
  readonly #finals = new Map<string, Final>();

  constructor(core: NodeCore, primary: Primary) {
    this.#core = core;
    this.#primary = primary;
  }

  /** Applies a membership action; returns the rebalance id, or '' when none was started. */
  act(action: MemberAction, opts: RmNodeOpts): Promise<string> {
    return this.#primary.exclusive(async () => {
      let smap = this.#core.owner.smap!;
      const nodes: Snode[] = [];
      for (const sid of opts.sids) nodes.push(this.#check(smap, sid, action, opts));
      const flag = action === MemberAct.decommissionNode ? SnodeFlag.decomm : SnodeFlag.maint;
      const now: Snode[] = [];
      for (const n of nodes) {
        if (action === MemberAct.stopMaintenance) {
          this.#finals.delete(n.daemon_id); // a shutdown still waiting for its rebalance is called off
          smap = smapWithNode(smap, { ...n, flags: n.flags & ~(SnodeFlag.maint | SnodeFlag.decomm | SnodeFlag.maintPostReb) });
        } else if (n.daemon_type === 'proxy' && action === MemberAct.decommissionNode) {
          // a proxy holds no objects: it leaves at once (below)
        } else if ((n.flags & flag) === 0) {
          smap = smapWithNode(smap, { ...n, flags: n.flags | flag });
        }
      }
      if (activeTargets(smap).length === 0) {
        const which = nodes.length === 1 ? 'it is the last target' : 'they are the last targets';
        throw new ErrInvalidArgument(`cannot ${action} ${nodes.map(nodeName).join(', ')}: ${which} (no target would be left to hold the objects)`);
      }
      const id = smap === this.#core.owner.smap ? '' : await this.#primary.commitSmapLocked(smap, { skipReb: opts.skipRebalance });
      const last = action === MemberAct.shutdownNode || action === MemberAct.decommissionNode;
      for (const n of nodes) {
        this.#core.env.log.info({ node: n.daemon_id, action, reb: id }, 'membership change');
        if (!last) continue;
        const final = { decommission: action === MemberAct.decommissionNode, rmUserData: opts.rmUserData, noShutdown: opts.noShutdown };
        if (id === '' || n.daemon_type === 'proxy') now.push(n);
        this.#finals.set(n.daemon_id, final);
      }
      if (now.length > 0) await this.#finish(now);
      return id;
    });
  }

  #check(smap: Smap, sid: string, action: MemberAction, opts: RmNodeOpts): Snode {
    const n = smap.pmap[sid] ?? smap.tmap[sid];
    if (!n) throw new ErrNotFound(`node "${sid}" does not exist (not present in the cluster map v${smap.version})`);
    if (sid === this.#core.id) {
      throw new ErrInvalidArgument(`${nodeName(n)} is the primary proxy: cannot ${action} it without a successor (no other proxy is primary-eligible)`);
    }
    if (action === MemberAct.stopMaintenance && (n.flags & (SnodeFlag.maint | SnodeFlag.decomm)) === 0) {
      throw new ErrInvalidArgument(`${nodeName(n)} is not in maintenance mode`);
    }
    if (action === MemberAct.stopMaintenance && (n.flags & SnodeFlag.decomm) !== 0) {
      throw new ErrInvalidArgument(`${nodeName(n)} is being decommissioned: it cannot return to the cluster`);
    }
    if (action === MemberAct.startMaintenance && (n.flags & SnodeFlag.decomm) !== 0) {
      throw new ErrInvalidArgument(`${nodeName(n)} is currently being decommissioned`);
    }
    if (opts.rmUserData && action !== MemberAct.decommissionNode) throw new ErrInvalidArgument('"rm_user_data" applies to decommission only');
    return n;
  }

  /**
   * A rebalance ended: if it is the latest and clean, targets in maintenance hold nothing any more
   * (MaintPostReb: later rebalances do not wait for them), and nodes waiting for it take their last step.
   */
  onRebalanceEnd(agg: XactAggregate, attempt = 0): void {
    if (agg.kind !== 'rebalance' || agg.id !== rebId(this.#core.owner.version('rmd'))) return;
    if (agg.abortErr || agg.err) return;
    void this.#primary
      .exclusive(async () => {
        if (agg.id !== rebId(this.#core.owner.version('rmd'))) return; // a newer one started meanwhile
        let smap = this.#core.owner.smap!;
        for (const t of Object.values(smap.tmap)) {
          if ((t.flags & SnodeFlag.maint) !== 0 && (t.flags & SnodeFlag.maintPostReb) === 0) smap = smapWithNode(smap, { ...t, flags: t.flags | SnodeFlag.maintPostReb });
        }
        if (smap !== this.#core.owner.smap) await this.#primary.commitSmapLocked(smap);
        const ready = [...this.#finals.keys()].map((id) => smap.pmap[id] ?? smap.tmap[id]).filter((n): n is Snode => n !== undefined);
        if (ready.length > 0) await this.#finish(ready);
      })
      .catch((e: Error) => {
        // e.g. the new Smap could not be persisted: try again (the nodes are still waiting for it)
        this.#core.env.log.error({ err: e.message, attempt }, 'membership: last step failed');
        if (attempt < LAST_STEP_RETRIES) this.#core.env.timers.setTimeout(() => this.onRebalanceEnd(agg, attempt + 1), LAST_STEP_RETRY_MS);
      });
  }

  /** Shutdown: the node exits (keeps its place, in maintenance). Decommission: it also leaves the Smap. */
  async #finish(nodes: Snode[]): Promise<void> {
    let smap = this.#core.owner.smap!;
    for (const n of nodes) {
      const f = this.#finals.get(n.daemon_id) ?? { decommission: true, rmUserData: false, noShutdown: false };
      this.#finals.delete(n.daemon_id);
      const req: NodeShutdownReq = { decommission: f.decommission, rmUserData: f.rmUserData, noShutdown: f.noShutdown };
      // Tell the node first: a decommissioned node must not re-join when it sees itself gone.
      await this.#core.ctrl
        .request(n.intra_control_net.direct_url, RebMsg.shutdown, req, { timeoutMs: SHUTDOWN_REQUEST_TIMEOUT_MS })
        .catch((e: Error) => this.#core.env.log.warn({ node: n.daemon_id, err: e.message }, 'membership: node did not acknowledge shutdown'));
      if (f.decommission) smap = smapWithoutNode(smap, n.daemon_id);
    }
    if (smap !== this.#core.owner.smap) await this.#primary.commitSmapLocked(smap);
  }

  /** `POST /v1/cluster/join-by-admin`: admit a standby node given its public URL (or full Snode). */
  async joinByAdmin(body: unknown): Promise<{ daemon_id: string; rebalance_id: string }> {
    const b = (body ?? {}) as { public_net?: { direct_url?: unknown; node_ip_addr?: unknown; daemon_port?: unknown } };
    const pn = b.public_net;
    let url = typeof pn?.direct_url === 'string' ? pn.direct_url : '';
    if (url === '' && typeof pn?.node_ip_addr === 'string' && pn.node_ip_addr !== '' && pn.daemon_port !== undefined) url = `http://${pn.node_ip_addr}:${String(pn.daemon_port)}`;
    if (!/^https?:\/\/[^/]+$/.test(url.replace(/\/+$/, ''))) throw new ErrInvalidArgument('join-by-admin: missing or invalid public_net.direct_url of the node');
    const snode = await this.#fetchSnode(url.replace(/\/+$/, ''));
    const before = this.#core.owner.version('rmd');
    await this.#primary.join({ snode });
    const after = this.#core.owner.version('rmd');
    return { daemon_id: snode.daemon_id, rebalance_id: after > before ? rebId(after) : '' };
  }

  async #fetchSnode(url: string): Promise<Snode> {
    let text = '';
    let status = 0;
    try {
      const res = await this.#core.env.net.request({ method: 'GET', url: `${url}/v1/daemon?what=${What.snode}`, headers: {}, timeoutMs: SNODE_FETCH_TIMEOUT_MS });
      status = res.status;
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } catch (e) {
      throw new ErrInvalidArgument(`join-by-admin: node at ${url} is not reachable: ${(e as Error).message}`);
    }
    if (status !== 200) throw new ErrInvalidArgument(`join-by-admin: node at ${url} answered ${status}: ${text}`);
    const sn = JSON.parse(text) as Snode;
    if (typeof sn.daemon_id !== 'string' || (sn.daemon_type !== 'target' && sn.daemon_type !== 'proxy')) {
      throw new ErrInvalidArgument(`join-by-admin: node at ${url} did not describe itself`);
    }
    return sn;
  }
}

function nodeName(n: Snode): string {
  return `${n.daemon_type === 'proxy' ? 'p' : 't'}[${n.daemon_id}]`;
}
