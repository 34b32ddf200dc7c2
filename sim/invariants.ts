// Cluster-wide invariants sampled through each node's own `GET /v1/daemon?what=smap|bmd` handler:
// - Smap and BMD versions never go backwards on any node (across its restarts too);
// - at most one primary per Smap version, across every node's view;
// - at quiescence: every node is back, every view agrees, no work file (`%wk`) is left on any disk.
import type { SimCluster } from './cluster.ts';
import type { SimResult } from './client.ts';
import type { SimPlacement } from './placement.ts';

export class SimInvariantError extends Error {}

/** A mountpath that became unusable (a fault): the names placed on it are legitimately lost. */
export interface LostMountpath {
  target: string;
  mountpath: string;
  atMs: number;
}

/** Virtual ms one sample of one node may take (it may be isolated: then it is skipped). */
export const SAMPLE_TIMEOUT_MS = 2_000;

interface View {
  smap: number;
  bmd: number;
  primary: string;
  proxies: number;
  targets: number;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
}

/** What the primary logs when it drops a node that stopped answering keepalives (nodes/proxy/primary.ts). */
export const UNPLANNED_REMOVAL_MSG = 'node stopped answering keepalives: removed from the cluster map';

export class InvariantChecker {
  /** Highest Smap/BMD version each node has shown. */
  readonly #smapMax = new Map<string, number>();
  readonly #bmdMax = new Map<string, number>();
  /** Smap version → its primary, as first seen. */
  readonly #primaryOf = new Map<number, { primary: string; node: string }>();
  /** Some node's Smap lacked a node (a removal happened: placement checks relax, no rebalance yet). */
  membershipChanged = false;
  samples = 0;
  /**
   * The Smap version once the cluster formed: the workload changes no membership, so a later version
   * means a node was removed (and maybe re-added) — a removal the sampling may have missed otherwise.
   */
  formedSmapVersion = Infinity;
  /** The lost mountpath, if one was lost (with the placement that tells which names it held). */
  lost: LostMountpath | undefined;
  placement: SimPlacement | undefined;

  /**
   * The workload changes membership on purpose (sim/membership.ts): Smap versions and node counts
   * move by design, so only an unplanned removal (the primary dropping a node that stopped answering
   * keepalives) relaxes the placement checks.
   */
  plannedMembership = false;

  constructor(readonly c: SimCluster) {
    c.world.logs.watch(UNPLANNED_REMOVAL_MSG, () => (this.membershipChanged = true));
  }

  /** A mountpath was lost: from now on its names are exempt from the data checks. */
  markLost(target: string, mountpath: string, placement: SimPlacement): void {
    this.lost = { target, mountpath, atMs: this.c.nowMs };
    this.placement = placement;
    // With membership changes names move between targets: what the mountpath held when it was lost
    // is read from its disk instead of computed from the formed cluster's placement.
    if (this.plannedMembership) {
      const prefix = `${mountpath}/@ais/`;
      this.#lostNames = new Set(
        this.c.world
          .disk(target)
          .filePaths()
          .filter((p) => p.startsWith(prefix) && p.includes('/%ob/'))
          .map((p) => {
            const rest = p.slice(prefix.length);
            const bucket = rest.slice(0, rest.indexOf('/'));
            return `${bucket}/${rest.slice(rest.indexOf('/%ob/') + 5)}`;
          }),
      );
    }
  }

  #lostNames: Set<string> | undefined;

  /**
   * `name` of `bucket` was placed on the lost mountpath (so it may be unreadable, fail every write,
   * and be listed or not). Exact only while the membership is the formed one; after a change every
   * placement check is relaxed anyway.
   */
  isLost(bucket: string, name: string): boolean {
    const l = this.lost;
    if (l === undefined || this.placement === undefined) return false;
    if (this.#lostNames !== undefined) return this.#lostNames.has(`${bucket}/${name}`);
    const p = this.placement.locate(bucket, name);
    return p.target === l.target && p.mountpath === l.mountpath;
  }

  fail(msg: string): never {
    throw new SimInvariantError(`seed ${this.c.seed} at ${this.c.nowMs.toFixed(3)} virtual ms: ${msg}`);
  }

  async #get(id: string, what: string): Promise<SimResult | undefined> {
    const spec = this.c.specs.find((s) => s.id === id)!;
    const url = `http://${spec.cfg.host_net.hostname}:${spec.cfg.host_net.port}`;
    try {
      const r = await this.c.client.requestUrl('GET', `${url}/v1/daemon?what=${what}`, SAMPLE_TIMEOUT_MS);
      return r.status === 200 ? r : undefined;
    } catch {
      return undefined; // isolated or crashed: nothing to sample
    }
  }

  /** This node's view, or undefined if it does not answer. */
  async view(id: string): Promise<View | undefined> {
    const [s, b] = await Promise.all([this.#get(id, 'smap'), this.#get(id, 'bmd')]);
    if (s === undefined || b === undefined) return undefined;
    const smap = JSON.parse(s.text()) as { version?: unknown; pmap?: object; tmap?: object; proxy_si?: { daemon_id?: string } } | null;
    const bmd = JSON.parse(b.text()) as { version?: unknown } | null;
    if (smap === null || bmd === null) return undefined; // not joined yet
    return {
      smap: num(smap.version),
      bmd: num(bmd.version),
      primary: smap.proxy_si?.daemon_id ?? '',
      proxies: Object.keys(smap.pmap ?? {}).length,
      targets: Object.keys(smap.tmap ?? {}).length,
    };
  }

  /** Samples every running node (concurrently) and checks the monotonic and one-primary invariants. */
  async sample(): Promise<Map<string, View>> {
    const ids = this.c.specs.map((s) => s.id).filter((id) => this.c.nodes.has(id));
    const views = await Promise.all(ids.map((id) => this.view(id)));
    const out = new Map<string, View>();
    const nP = this.c.specs.filter((s) => s.role === 'proxy').length;
    const nT = this.c.specs.length - nP;
    ids.forEach((id, i) => {
      const v = views[i];
      if (v === undefined) return;
      out.set(id, v);
      this.samples++;
      const sm = this.#smapMax.get(id) ?? 0;
      if (v.smap < sm) this.fail(`node ${id}: Smap version went back from v${sm} to v${v.smap}`);
      this.#smapMax.set(id, v.smap);
      const bm = this.#bmdMax.get(id) ?? 0;
      if (v.bmd < bm) this.fail(`node ${id}: BMD version went back from v${bm} to v${v.bmd}`);
      this.#bmdMax.set(id, v.bmd);
      const seen = this.#primaryOf.get(v.smap);
      if (seen === undefined) this.#primaryOf.set(v.smap, { primary: v.primary, node: id });
      else if (seen.primary !== v.primary) this.fail(`Smap v${v.smap} has primary ${seen.primary} on ${seen.node} but ${v.primary} on ${id}`);
      // each start of the primary bumps the Smap (it re-adds itself); any other bump is a removal/re-join
      if (!this.plannedMembership && (v.proxies < nP || v.targets < nT || v.smap > this.formedSmapVersion + this.c.restartCount(this.c.primaryId))) this.membershipChanged = true;
    });
    return out;
  }

  /** Every node runs, answers, and holds the same full Smap and the same BMD. */
  async converged(): Promise<boolean> {
    const members = this.c.members();
    if (this.c.crashed.size > 0 || this.c.stopping.size > 0 || members.some((s) => !this.c.nodes.has(s.id))) return false;
    const views = await this.sample();
    if (views.size !== members.length) return false;
    const nP = members.filter((s) => s.role === 'proxy').length;
    const nT = members.length - nP;
    const all = [...views.values()];
    const v0 = all[0]!;
    return all.every((v) => v.smap === v0.smap && v.bmd === v0.bmd && v.primary === v0.primary && v.proxies === nP && v.targets === nT);
  }

  /** No PUT work file left on any disk (at quiescence: every PUT finished or was cleaned up). */
  checkNoWorkFiles(): void {
    const l = this.lost;
    for (const s of this.c.specs) {
      // a lost mountpath's files can no longer be removed
      const dead = l !== undefined && l.target === s.id ? `${l.mountpath}/` : undefined;
      const leaked = this.c.world.disk(s.id).filePaths().filter((p) => p.includes('/%wk/') && (dead === undefined || !p.startsWith(dead)));
      if (leaked.length > 0) this.fail(`${leaked.length} leaked work file(s) on ${s.id}: ${leaked.slice(0, 3).join(', ')}`);
    }
  }
}
