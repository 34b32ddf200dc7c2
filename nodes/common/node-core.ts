// What every node (proxy or target) has: its Snode, the metadata owner, the intra-cluster endpoints,
// and the member side of cluster formation: self-join, metasync receive, keepalive answer, and a
// watchdog that re-joins when the primary stops hearing from us (AIS self-join + keepalive).
import type { Env, TimerHandle } from '../../runtime/env/types.ts';
import type { MsgEndpoint } from '../../runtime/transport/types.ts';
import type { Snode } from '../../protocol/smap.ts';
import { Msg, type JoinRequest, type JoinResponse, type KeepaliveBody, type MetasyncBody, type MetaVersions } from '../../protocol/intra.ts';
import { ErrNotReady } from '../../protocol/errors.ts';
import { MetaOwner } from '../cluster/meta-owner.ts';
import type { Hrw } from '../cluster/hrw.ts';
import { targetCandidates } from '../cluster/smap.ts';
import { bckUname } from '../../protocol/bmd.ts';
import type { NodeConfig } from '../config.ts';
import { KEEPALIVE_FACTOR_DEFAULT, KEEPALIVE_INTERVAL_MS_DEFAULT } from '../config.ts';
import { featureIsSet, type FeatureName } from '../../protocol/feat.ts';

export const JOIN_RETRY_MS_MIN = 100;
export const JOIN_RETRY_MS_MAX = 3_000;
export const JOIN_REQUEST_TIMEOUT_MS = 5_000;
/** A member re-joins after this many keepalive intervals without hearing from the primary. */
export const PRIMARY_SILENCE_FACTOR = 4;

export interface NodeCoreDeps {
  env: Env;
  cfg: NodeConfig;
  self: Snode;
  hrw: Hrw;
  ctrl: MsgEndpoint;
  data: MsgEndpoint;
}

export class NodeCore {
  readonly env: Env;
  readonly cfg: NodeConfig;
  readonly self: Snode;
  readonly hrw: Hrw;
  readonly ctrl: MsgEndpoint;
  readonly data: MsgEndpoint;
  readonly owner: MetaOwner;
  readonly startedMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveFactor: number;
  #lastPrimaryContactMs: number;
  #watchdog: TimerHandle | undefined;
  #joining: Promise<void> | undefined;
  #stopped = false;
  /** The primary has us in the cluster: the join answered, or a metasync brought a Smap with us in it. */
  admitted = false;
  /** A target that restarted in the middle of a rebalance says so when it joins. */
  rebInterrupted = false;
  /**
   * Standby (node config `standby`, or decommissioned with `no_shutdown`): not in the cluster and
   * not trying to join; the primary adds it (`join-by-admin`). Cleared once it is in the Smap.
   */
  standby: boolean;

  constructor(deps: NodeCoreDeps) {
    this.env = deps.env;
    this.cfg = deps.cfg;
    this.self = deps.self;
    this.hrw = deps.hrw;
    this.ctrl = deps.ctrl;
    this.data = deps.data;
    this.owner = new MetaOwner(deps.env, deps.cfg.confdir);
    this.startedMs = deps.env.clock.monotonicMs();
    this.keepaliveIntervalMs = deps.cfg.keepalive?.interval_ms ?? KEEPALIVE_INTERVAL_MS_DEFAULT;
    this.keepaliveFactor = deps.cfg.keepalive?.factor ?? KEEPALIVE_FACTOR_DEFAULT;
    this.#lastPrimaryContactMs = this.startedMs;
    this.standby = deps.cfg.standby === true;
  }

  get id(): string {
    return this.self.daemon_id;
  }

  isPrimary(): boolean {
    return this.owner.smap?.proxy_si.daemon_id === this.id;
  }

  /** The primary's public URL: from the Smap once we have one, else from config. */
  primaryUrl(): string {
    return this.owner.smap?.proxy_si.public_net.direct_url ?? this.cfg.proxy.primary_url;
  }

  inSmap(): boolean {
    const smap = this.owner.smap;
    return smap !== undefined && (smap.pmap[this.id] !== undefined || smap.tmap[this.id] !== undefined);
  }

  /** The object's HRW owner among the active targets of the current Smap (undefined: no targets). */
  ownerOf(bck: { provider: string; name: string }, objName: string): Snode | undefined {
    const smap = this.owner.smap;
    return smap && this.hrw.select(targetCandidates(smap), bckUname(bck.provider, bck.name) + objName)?.node;
  }

  feature(name: FeatureName): boolean {
    const f = this.owner.config?.features;
    return f !== undefined && featureIsSet(BigInt(f), name);
  }

  versions(): MetaVersions {
    return { smap: this.owner.version('smap'), bmd: this.owner.version('bmd'), config: this.owner.version('config'), rmd: this.owner.version('rmd') };
  }

  /** Member side: accept newer metadata from the primary, answer keepalives. */
  registerMemberHandlers(): void {
    this.ctrl.handle(Msg.metasync, async (body) => {
      const b = body as MetasyncBody;
      this.#lastPrimaryContactMs = this.env.clock.monotonicMs();
      if (b.config) await this.owner.apply('config', b.config);
      if (b.bmd) await this.owner.apply('bmd', b.bmd);
      if (b.smap) await this.owner.apply('smap', b.smap);
      if (b.rmd) await this.owner.apply('rmd', b.rmd);
      if (b.smap && this.inSmap()) this.admitted = true;
      return this.versions();
    });
    this.ctrl.handle(Msg.keepalive, async (body) => {
      const b = body as KeepaliveBody;
      if (b.primary === this.owner.smap?.proxy_si.daemon_id) this.#lastPrimaryContactMs = this.env.clock.monotonicMs();
      return this.versions();
    });
    // Dropped from the Smap (e.g. missed keepalives while paused)? Join again.
    this.owner.onChange('smap', (next) => {
      if (next.pmap[this.id] !== undefined || next.tmap[this.id] !== undefined) this.standby = false;
      if (!this.#stopped && !this.standby && next.pmap[this.id] === undefined && next.tmap[this.id] === undefined && next.proxy_si.daemon_id !== this.id) {
        this.env.log.warn({ smap: next.version }, 'not in the cluster map: re-joining');
        void this.join();
      }
    });
  }

  /** Self-join through the primary's public API (`POST /v1/cluster/autoreg`), retried with back-off. */
  join(): Promise<void> {
    this.#joining ??= this.#joinLoop().finally(() => (this.#joining = undefined));
    return this.#joining;
  }

  async #joinLoop(): Promise<void> {
    let delayMs = JOIN_RETRY_MS_MIN;
    for (;;) {
      if (this.#stopped) throw new ErrNotReady('node is stopping');
      const url = `${this.cfg.proxy.primary_url}/v1/cluster/autoreg`;
      try {
        const req: JoinRequest = { snode: this.self, bmd: this.owner.bmd, reb_interrupted: this.rebInterrupted, rmd_version: this.owner.version('rmd') };
        const res = await this.env.net.request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify(req)),
          timeoutMs: JOIN_REQUEST_TIMEOUT_MS,
        });
        const chunks: Buffer[] = [];
        for await (const c of res.body) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.status !== 200) throw new Error(`join refused: ${res.status} ${text}`);
        const joined = JSON.parse(text) as JoinResponse;
        await this.owner.apply('config', joined.config);
        await this.owner.apply('bmd', joined.bmd);
        await this.owner.apply('smap', joined.smap);
        if (joined.rmd) await this.owner.apply('rmd', joined.rmd);
        this.#lastPrimaryContactMs = this.env.clock.monotonicMs();
        this.rebInterrupted = false;
        this.admitted = true;
        this.env.log.info({ smap: joined.smap.version, primary: joined.smap.proxy_si.daemon_id }, 'joined the cluster');
        return;
      } catch (e) {
        this.env.log.warn({ url, err: (e as Error).message, retryMs: delayMs }, 'join failed; retrying');
        await this.env.timers.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, JOIN_RETRY_MS_MAX);
      }
    }
  }

  /** Re-join when the primary has been silent too long (it restarted, or we were partitioned). */
  startWatchdog(): void {
    this.#watchdog = this.env.timers.setInterval(() => {
      if (this.isPrimary() || this.#joining || this.standby) return;
      const silentMs = this.env.clock.monotonicMs() - this.#lastPrimaryContactMs;
      if (silentMs > this.keepaliveIntervalMs * PRIMARY_SILENCE_FACTOR * this.keepaliveFactor) {
        this.env.log.warn({ silentMs }, 'primary silent: re-joining');
        this.#lastPrimaryContactMs = this.env.clock.monotonicMs();
        void this.join().catch(() => undefined);
      }
    }, this.keepaliveIntervalMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#watchdog !== undefined) this.env.timers.clearInterval(this.#watchdog);
  }
}
