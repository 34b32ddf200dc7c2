// The primary proxy's control plane: it owns and versions the Smap, BMD and cluster config, admits
// joining nodes, pushes every new version to all nodes (metasync), and drops nodes that stop answering
// keepalives. Every change is serialized through one mutex so versions are strictly increasing.
import type { TimerHandle } from '../../runtime/env/types.ts';
import type { BMD } from '../../protocol/bmd.ts';
import type { ClusterConfig } from '../../protocol/config.ts';
import { defaultClusterConfig } from '../../protocol/config.ts';
import { activeTargetIds, activeTargets, rebTargets, SnodeFlag, type Smap, type Snode } from '../../protocol/smap.ts';
import { rebId, type Rmd } from '../../protocol/reb.ts';
import { Msg, type JoinRequest, type JoinResponse, type MetasyncBody, type MetaVersions } from '../../protocol/intra.ts';
import { parseFeatures } from '../../protocol/feat.ts';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { Mutex } from '../common/mutex.ts';
import type { NodeCore } from '../common/node-core.ts';
import { newSmap, sameSnode, smapNodes, smapWithNode, smapWithoutNode } from '../cluster/smap.ts';
import { newBmd } from '../cluster/bmd.ts';
import { bmdBuckets } from '../../protocol/bmd.ts';

export const METASYNC_TIMEOUT_MS = 5_000;
/** A failed keepalive is retried this many times (after a short pause) before it counts as a miss. */
export const KEEPALIVE_RETRIES = 1;
export const KEEPALIVE_RETRY_DELAY_MS = 100;

export class Primary {
  readonly #core: NodeCore;
  readonly #mutex = new Mutex();
  readonly #misses = new Map<string, number>();
  #keepalive: TimerHandle | undefined;
  #tickRunning = false;
  /** A rebalance was triggered: `id` on these targets (the IC aggregate tracks it). */
  onRebalance: ((id: string, targets: string[]) => void) | undefined;

  constructor(core: NodeCore) {
    this.#core = core;
  }

  /** Builds (or resumes from disk) the cluster metadata this primary owns. */
  async init(): Promise<void> {
    const { owner, env, self } = this.#core;
    const uuid = owner.smap?.uuid ?? this.#uuid();
    const prev = owner.smap;
    const smap =
      prev && prev.proxy_si.daemon_id === self.daemon_id
        ? { ...smapWithNode(prev, self), proxy_si: self }
        : newSmap(self, uuid, new Date(env.clock.realtimeMs()).toISOString(), Number(prev?.version ?? 0) + 1);
    await owner.apply('smap', smap);
    if (!owner.bmd) await owner.apply('bmd', newBmd(uuid));
    if (!owner.config) {
      const features = parseFeatures(this.#core.cfg.features ?? '');
      const cfg = defaultClusterConfig(uuid, features, this.#core.keepaliveIntervalMs, this.#core.keepaliveFactor, new Date(env.clock.realtimeMs()).toISOString());
      await owner.apply('config', cfg);
    }
  }

  #uuid(): string {
    return Buffer.from(this.#core.env.random.bytes(9)).toString('base64url');
  }

  /** Self-join: admit (or re-admit) a node and push the new Smap everywhere. */
  async join(req: JoinRequest): Promise<JoinResponse> {
    if (!req || typeof req !== 'object' || !req.snode || typeof req.snode.daemon_id !== 'string') {
      throw new ErrInvalidArgument('invalid join request: missing snode');
    }
    return this.#mutex.run(async () => {
      const { owner, env } = this.#core;
      // A joiner that knows a newer BMD of this cluster (the primary lost its disk) brings it back.
      if (req.bmd && owner.bmd && req.bmd.uuid === owner.bmd.uuid && Number(req.bmd.version) > Number(owner.bmd.version)) {
        await owner.apply('bmd', req.bmd);
      }
      const smap = owner.smap!;
      const have = smap.pmap[req.snode.daemon_id] ?? smap.tmap[req.snode.daemon_id];
      // Maintenance and decommission survive a restart: only the admin ends them (AIS).
      const node = have ? { ...req.snode, flags: have.flags } : req.snode;
      this.#misses.delete(node.daemon_id);
      // A target that restarted in the middle of a rebalance, or missed one, gets a new one.
      const behind = node.daemon_type === 'target' && (req.reb_interrupted === true || (req.rmd_version ?? 0) < owner.version('rmd'));
      if (!have || !sameSnode(have, node)) {
        const next = smapWithNode(smap, node);
        env.log.info({ node: node.daemon_id, type: node.daemon_type, smap: next.version }, 'node joined');
        // The joiner gets it too (it is ready once it sees itself in the Smap), then the answer.
        await this.commitSmapLocked(next, { forceReb: behind, withAll: true });
      } else if (behind) {
        await this.commitSmapLocked(smap, { forceReb: true });
      }
      return { smap: owner.smap!, bmd: owner.bmd!, config: owner.config!, rmd: owner.rmd };
    });
  }

  /**
   * For callers inside `exclusive`: installs `next` (unless it is the current Smap), bumps the RMD
   * when the active targets changed (HRW owners moved) or when asked, and metasyncs both. Returns
   * the rebalance id, or '' when none was started.
   *
   * Order (AIS "early GFN"): persist, then metasync the members, then install here. The primary
   * redirects by its own Smap, so the members already know the new owners (and that a rebalance
   * is settling: get-from-neighbor is on) by the time the first request reaches a new owner, and a
   * joining node is in its own Smap before anyone is sent to it.
   */
  async commitSmapLocked(next: Smap, opts: { forceReb?: boolean; skipReb?: boolean; withAll?: boolean } = {}): Promise<string> {
    const { owner } = this.#core;
    const prev = owner.smap!;
    let rmd: Rmd | undefined;
    const moved = activeTargetIds(prev) !== activeTargetIds(next);
    // No buckets, no objects to move (a forming cluster): no rebalance.
    const empty = owner.bmd === undefined || bmdBuckets(owner.bmd).length === 0;
    if (!opts.skipReb && !empty && (moved || opts.forceReb) && activeTargets(next).length > 0) {
      const v = owner.version('rmd') + 1;
      rmd = { version: String(v), smap_version: Number(next.version), target_ids: rebTargets(next).map((t) => t.daemon_id).sort() };
    }
    if (next !== prev) await owner.persist('smap', next);
    if (rmd) {
      await owner.persist('rmd', rmd);
      // tracked before any target can report it done
      this.onRebalance?.(rebId(rmd.version), rmd.target_ids);
      this.#core.env.log.info({ reb: rebId(rmd.version), smap: next.version }, 'rebalance triggered');
    }
    // An RMD always travels with its Smap: a member that missed the Smap must not rebalance by an older one.
    const body: MetasyncBody = next !== prev || rmd ? { smap: next } : {};
    if (opts.withAll) Object.assign(body, { bmd: owner.bmd, config: owner.config });
    if (rmd) body.rmd = rmd;
    if (body.smap || body.rmd) await this.#metasync(body, next);
    if (next !== prev) await owner.apply('smap', next);
    if (rmd) await owner.apply('rmd', rmd);
    return rmd ? rebId(rmd.version) : '';
  }

  /** A rebalance by hand (`PUT /v1/cluster {action: start, value: {kind: rebalance}}`). */
  startRebalance(): Promise<string> {
    return this.#mutex.run(() => this.commitSmapLocked(this.#core.owner.smap!, { forceReb: true }));
  }

  /** Changes the BMD under the mutex and metasyncs the new version to every node before returning. */
  async updateBmd(fn: (cur: BMD) => BMD | Promise<BMD>): Promise<BMD> {
    return this.#mutex.run(async () => {
      const next = await fn(this.#core.owner.bmd!);
      await this.#core.owner.apply('bmd', next);
      await this.#metasync({ bmd: next });
      return next;
    });
  }

  async updateConfig(fn: (cur: ClusterConfig) => ClusterConfig): Promise<ClusterConfig> {
    return this.#mutex.run(async () => {
      const cur = this.#core.owner.config!;
      const next = { ...fn(cur), version: String(Number(cur.version) + 1), lastupdate_time: new Date(this.#core.env.clock.realtimeMs()).toISOString() };
      await this.#core.owner.apply('config', next);
      await this.#metasync({ config: next });
      return next;
    });
  }

  /** Runs `fn` while no other metadata change can happen (two-phase bucket transactions). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#mutex.run(fn);
  }

  /** BMD change for callers already inside `exclusive`. */
  async applyBmdLocked(next: BMD): Promise<void> {
    await this.#core.owner.apply('bmd', next);
    await this.#metasync({ bmd: next });
  }

  /** Pushes metadata to every other node; failures are repaired by the keepalive loop. */
  async #metasync(body: MetasyncBody, to?: Smap): Promise<void> {
    const { owner, ctrl, env } = this.#core;
    // Targets whose data a rebalance moved away may be shut down: keepalive repairs them if not.
    const nodes = smapNodes(to ?? owner.smap!).filter((n) => n.daemon_id !== this.#core.id && (n.flags & SnodeFlag.maintPostReb) === 0);
    await Promise.all(
      nodes.map((n) =>
        ctrl.request(n.intra_control_net.direct_url, Msg.metasync, body, { timeoutMs: METASYNC_TIMEOUT_MS }).catch((e: Error) => {
          env.log.warn({ node: n.daemon_id, err: e.message }, 'metasync failed');
        }),
      ),
    );
  }

  startKeepalive(): void {
    this.#keepalive = this.#core.env.timers.setInterval(() => {
      if (this.#tickRunning) return;
      this.#tickRunning = true;
      this.#tick().finally(() => (this.#tickRunning = false));
    }, this.#core.keepaliveIntervalMs);
  }

  async #tick(): Promise<void> {
    const { owner, ctrl, env } = this.#core;
    const smap = owner.smap!;
    const body = { primary: this.#core.id, smap_version: Number(smap.version) };
    const dead: Snode[] = [];
    await Promise.all(
      smapNodes(smap)
        .filter((n) => n.daemon_id !== this.#core.id)
        .map(async (n) => {
          try {
            const v = await this.#ping(n, body);
            this.#misses.delete(n.daemon_id);
            await this.#repair(n, v);
          } catch (e) {
            const misses = (this.#misses.get(n.daemon_id) ?? 0) + 1;
            this.#misses.set(n.daemon_id, misses);
            env.log.debug({ node: n.daemon_id, misses, err: (e as Error).message }, 'keepalive missed');
            if (misses >= this.#core.keepaliveFactor) dead.push(n);
          }
        }),
    );
    if (dead.length > 0) await this.#remove(dead);
  }

  /**
   * One keepalive, retried before it counts as a miss (AIS keepalive retries): a connection that
   * was just reset fails at once, and the transport reconnects on the retry.
   */
  async #ping(n: Snode, body: { primary: string; smap_version: number }): Promise<MetaVersions> {
    const { ctrl, env } = this.#core;
    for (let attempt = 0; ; attempt++) {
      try {
        return await ctrl.request<MetaVersions>(n.intra_control_net.direct_url, Msg.keepalive, body, { timeoutMs: this.#core.keepaliveIntervalMs });
      } catch (e) {
        if (attempt >= KEEPALIVE_RETRIES) throw e;
        await env.timers.sleep(KEEPALIVE_RETRY_DELAY_MS);
      }
    }
  }

  /** A node that missed a metasync gets what it lacks. */
  async #repair(n: Snode, v: MetaVersions): Promise<void> {
    const { owner, ctrl } = this.#core;
    const body: MetasyncBody = {};
    if (v.smap < owner.version('smap')) body.smap = owner.smap;
    if (v.bmd < owner.version('bmd')) body.bmd = owner.bmd;
    if (v.config < owner.version('config')) body.config = owner.config;
    if (owner.rmd && (v.rmd ?? 0) < owner.version('rmd')) body.rmd = owner.rmd;
    if (body.smap || body.bmd || body.config || body.rmd) {
      await ctrl.request(n.intra_control_net.direct_url, Msg.metasync, body, { timeoutMs: METASYNC_TIMEOUT_MS });
    }
  }

  async #remove(dead: Snode[]): Promise<void> {
    await this.#mutex.run(async () => {
      let smap: Smap = this.#core.owner.smap!;
      for (const n of dead) {
        if (!smap.pmap[n.daemon_id] && !smap.tmap[n.daemon_id]) continue;
        // A node in maintenance may be shut down on purpose: it keeps its place (AIS).
        if ((smapNodeFlags(smap, n.daemon_id) & SnodeFlag.maint) !== 0) continue;
        smap = smapWithoutNode(smap, n.daemon_id);
        this.#misses.delete(n.daemon_id);
        this.#core.env.log.warn({ node: n.daemon_id, smap: smap.version }, 'node stopped answering keepalives: removed from the cluster map');
      }
      if (smap === this.#core.owner.smap) return;
      await this.commitSmapLocked(smap);
    });
  }

  /** Pushes metadata to every other node (callers inside `exclusive`). */
  metasyncLocked(body: MetasyncBody): Promise<void> {
    return this.#metasync(body);
  }

  stop(): void {
    if (this.#keepalive !== undefined) this.#core.env.timers.clearInterval(this.#keepalive);
  }
}


function smapNodeFlags(smap: Smap, id: string): number {
  return (smap.pmap[id] ?? smap.tmap[id])?.flags ?? 0;
}
