// The target (storage node): object I/O on its mountpaths, its share of listings, and its side of
// bucket transactions. It joins the primary and follows the metasynced Smap/BMD/config.
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { What } from '../../protocol/apc.ts';
import { bmdBuckets, bmdGet } from '../../protocol/bmd.ts';
import { ErrBckNotFound, ErrConflict, ErrNotFound, ErrNotReady } from '../../protocol/errors.ts';
import { Msg, type LsoPageRequest, type TxnBeginBody, type TxnEndBody } from '../../protocol/intra.ts';
import { validateBckName, validateObjName } from '../../protocol/names.ts';
import type { NodeCore } from '../common/node-core.ts';
import { objNameFrom, providerOf } from '../common/http.ts';
import { daemonWhat } from '../common/node-info.ts';
import { serveV1 } from '../common/frontend.ts';
import type { Storage } from './storage/storage.ts';
import { TargetTxns } from './txn.ts';
import { lsoPage } from './lso.ts';
import { TargetXacts } from './xact.ts';
import type { JobRegistry } from '../../actors/xact/registry.ts';
import { deleteObject, getObject, headObject, objectMethod, patchObject, putObject, type ObjectCtx } from './objects.ts';
import { TargetResilver } from './resilver.ts';
import { Gfn } from './reb/gfn.ts';
import { forwardIfMisplaced } from './reb/forward.ts';
import { QPARAM_SMAP_VERSION, redirectResponse, redirectUrl } from '../common/redirect.ts';
import { RebMsg, type NodeShutdownReq } from '../../protocol/reb.ts';
import { activeTargetIds, type Snode } from '../../protocol/smap.ts';
import { ErrObjNotFound } from '../../protocol/errors.ts';
import { mountpathRequest } from './mountpath-api.ts';
import { isS3Path, serveS3 } from '../common/s3-frontend.ts';
import { TargetS3 } from './s3/router.ts';
import { isNativeMpt, nativeMpt } from './mpt/native.ts';
import { register as registerMpt } from './s3/mpt.ts';
import { MossTarget } from './moss/moss-target.ts';

/** A target behind the Smap a request was routed by waits this long for the metasync. */
export const SMAP_CATCH_UP_WAIT_MS = 3_000;
export const SMAP_CATCH_UP_POLL_MS = 50;

export class TargetNode {
  readonly core: NodeCore;
  readonly storage: Storage;
  readonly txns: TargetTxns;
  readonly xacts: TargetXacts;
  readonly resilver: TargetResilver;
  readonly gfn: Gfn;
  /** The S3 API's object side (`/s3/...` requests the proxy relays or redirects here). */
  readonly s3: TargetS3;
  /** GetBatch (AIS x-moss): designated target and sender. */
  readonly moss: MossTarget;
  /** Decommission / shutdown-node: the process entry stops the node (and wipes data when asked). */
  onShutdown: ((req: NodeShutdownReq) => void) | undefined;
  /** Handlers are registered (readiness also needs the primary to have admitted us). */
  #started = false;

  constructor(core: NodeCore, storage: Storage, jobs: JobRegistry) {
    this.core = core;
    this.storage = storage;
    this.txns = new TargetTxns(core.env, storage, () => core.owner.bmd);
    this.resilver = new TargetResilver(core.env, jobs, storage);
    this.xacts = new TargetXacts(core, jobs, storage, this.resilver);
    this.gfn = new Gfn(core, storage);
    this.s3 = new TargetS3(this);
    this.moss = new MossTarget(core, storage, jobs, () => this.xacts.reb.active);
  }

  async start(): Promise<void> {
    const { core } = this;
    await core.owner.load();
    core.owner.onChange('bmd', (next, prev) => {
      this.txns.reconcile(next, prev).catch((e: Error) => core.env.log.error({ err: e.message }, 'failed to apply new BMD to mountpaths'));
    });
    core.registerMemberHandlers();
    core.ctrl.handle(Msg.txnBegin, async (b) => this.txns.begin(b as TxnBeginBody));
    core.ctrl.handle(Msg.txnCommit, async (b) => this.txns.commit(b as TxnEndBody));
    core.ctrl.handle(Msg.txnAbort, async (b) => this.txns.abort(b as TxnEndBody));
    core.ctrl.handle(Msg.lsoPage, async (b) => lsoPage(this.storage, b as LsoPageRequest, `t[${core.id}]`));
    this.xacts.register();
    this.gfn.register();
    this.moss.register();
    registerMpt(core, this.storage); // ListMultipartUploads: this target's uploads
    core.ctrl.handle(RebMsg.shutdown, async (b) => this.#shutdown(b as NodeShutdownReq));
    // Restarted in the middle of a rebalance: ask for a new one when joining (AIS reb_interrupted).
    core.rebInterrupted = await this.xacts.reb.load();
    core.owner.onChange('rmd', (next) => this.xacts.startRebalance(next));
    // New HRW owners (even before the RMD of their rebalance arrives, e.g. it failed to persist):
    // objects may not be where the new Smap says, so get-from-neighbor is on until a rebalance ends clean.
    core.owner.onChange('smap', (next, prev) => {
      const objects = core.owner.bmd !== undefined && bmdBuckets(core.owner.bmd).length > 0; // else nothing to move
      if (objects && prev !== undefined && activeTargetIds(prev) !== activeTargetIds(next)) this.xacts.reb.activate();
    });
    if (core.inSmap()) core.standby = false;
    // Serving starts once the primary admits us: with the metasync that adds us (before the primary
    // sends anyone here), or with the join answer, whichever comes first.
    this.#started = true;
    if (!core.standby) await core.join();
    core.startWatchdog();
    core.env.log.info({ smap: core.owner.smap?.version, mountpaths: this.storage.mountpathPaths().length }, 'target ready');
  }

  async stop(): Promise<void> {
    this.core.stop();
    await this.moss.stop(); // no GetBatch spool file outlives the node
  }

  /** The primary removed us (decommission) or put us in maintenance and wants us down (shutdown-node). */
  async #shutdown(req: NodeShutdownReq): Promise<{ ok: true }> {
    const { core } = this;
    core.env.log.warn({ rmUserData: req.rmUserData, noShutdown: req.noShutdown }, 'shutdown requested by the primary');
    if (req.decommission) {
      core.standby = true; // out of the cluster for good: never re-join by itself
      await core.owner.forget();
      if (req.rmUserData) await this.storage.wipe();
    }
    if (!req.noShutdown) core.env.timers.setTimeout(() => this.onShutdown?.(req), 0);
    return { ok: true };
  }

  /**
   * The object is not here. The owner, while a rebalance settles, fetches it from the neighbour that
   * has it (get-from-neighbor); a former owner — the request was routed by an older Smap and the
   * object has moved on — redirects to the current owner. A non-owner never pulls objects back, and
   * a direct request (no routing Smap) gets what this target holds.
   */
  async fromNeighbor(ctx: ObjectCtx, req: HttpRequest): Promise<HttpResponse | undefined> {
    if (this.storage.head(ctx.bck, ctx.objName) !== undefined) return undefined;
    const owner = this.core.ownerOf(ctx.bck, ctx.objName);
    if (owner?.daemon_id === this.core.id) {
      if (this.xacts.reb.active) await this.gfn.fetch(ctx.bck, ctx.objName);
      return undefined;
    }
    return this.#movedOn(req, owner);
  }

  #movedOn(req: HttpRequest, owner: Snode | undefined): HttpResponse | undefined {
    const routed = Number(req.query.get(QPARAM_SMAP_VERSION) ?? 0);
    if (owner === undefined || owner.daemon_id === this.core.id || routed === 0 || routed >= this.core.owner.version('smap')) return undefined;
    return redirectResponse(redirectUrl(owner, req, this.core.id, this.core.env.clock.realtimeNs(), this.core.owner.version('smap')));
  }

  /** DELETE: while a rebalance settles every copy goes (on every target); a moved-on one is redirected. */
  async deleteRouted(ctx: ObjectCtx, req: HttpRequest): Promise<HttpResponse> {
    const { bck, objName } = ctx;
    try {
      if (!this.xacts.reb.active) return await deleteObject(ctx);
      if (await this.gfn.deleteEverywhere(bck, objName, ctx.fsyncPut)) return { status: 200 };
      throw new ErrObjNotFound(`${bck.provider}://${bck.name}`, objName);
    } catch (e) {
      if (e instanceof ErrObjNotFound) return this.#movedOn(req, this.core.ownerOf(bck, objName)) ?? Promise.reject(e);
      throw e;
    }
  }

  /**
   * The request was routed by a newer Smap than ours (a metasync has not reached us yet, e.g. we
   * were partitioned): wait for it a little, and refuse (503, retriable) rather than answer by the
   * old one — a 404 from an outdated view would be a lie.
   */
  async catchUp(req: HttpRequest): Promise<void> {
    const routed = Number(req.query.get(QPARAM_SMAP_VERSION) ?? 0);
    if (!(routed > this.core.owner.version('smap'))) return;
    const deadline = this.core.env.clock.monotonicMs() + SMAP_CATCH_UP_WAIT_MS;
    while (routed > this.core.owner.version('smap') && this.core.env.clock.monotonicMs() < deadline) await this.core.env.timers.sleep(SMAP_CATCH_UP_POLL_MS);
    if (routed > this.core.owner.version('smap')) {
      throw new ErrNotReady(`t[${this.core.id}] has cluster map v${this.core.owner.version('smap')}, the request was routed by v${routed}: retry`);
    }
  }

  /** Ready once admitted and while in the cluster map (a target dropped from it re-joins first). */
  readonly handle = (req: HttpRequest): Promise<HttpResponse> => {
    const ready = () => this.#started && this.core.admitted && this.core.inSmap();
    if (isS3Path(this.core, req.rawPath)) return serveS3(this.core, req, ready, (s3) => this.s3.handle(s3));
    return serveV1(this.core, req, ready, (resource, items) => this.#route(req, resource, items));
  };

  async #route(req: HttpRequest, resource: string, items: string[]): Promise<HttpResponse> {
    switch (resource) {
      case 'objects':
        return this.#objects(req, items);
      case 'daemon':
        if (items[2] === 'mountpaths') return mountpathRequest(this.storage, this.resilver, req, items);
        return daemonWhat(this.core, req, (what) => (what === What.mountpaths ? this.#mountpaths() : undefined));
      case 'ml':
        return this.moss.handle(req, items);
      default:
        throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
    }
  }

  #mountpaths() {
    return this.storage.mountpathList();
  }

  /** The object's context (bucket props from the BMD; 404 for an unknown bucket). */
  objectCtx(provider: string, name: string, objName: string): ObjectCtx {
    const props = this.core.owner.bmd ? bmdGet(this.core.owner.bmd, provider, name) : undefined;
    if (!props) throw new ErrBckNotFound(`${provider}://${name}`);
    return {
      storage: this.storage,
      bck: { provider, name },
      props,
      objName,
      location: () => `t[${this.core.id}]`,
      fsyncPut: this.core.feature('Fsync-PUT'),
    };
  }

  /** After a PUT: a target that is not the owner (the router's Smap lagged) hands the object on. */
  forwardIfMisplaced(ctx: ObjectCtx): Promise<void> {
    return forwardIfMisplaced(this.core, this.storage, ctx.bck, ctx.objName);
  }

  async #objects(req: HttpRequest, items: string[]): Promise<HttpResponse> {
    objectMethod(req.method, req.rawPath);
    await this.catchUp(req);
    const provider = providerOf(req.query);
    const name = items[2] ?? '';
    validateBckName(name);
    const objName = objNameFrom(items, 3);
    validateObjName(objName);
    const ctx = this.objectCtx(provider, name, objName);
    if (isNativeMpt(req)) return nativeMpt(this, ctx, req); // mpt-upload / part / mpt-complete / mpt-abort
    switch (req.method) {
      case 'GET':
        try {
          return (await this.fromNeighbor(ctx, req)) ?? (await getObject(ctx, req));
        } catch (e) {
          // rebalance moved it away between the lookup and the read: send the client after it
          if (e instanceof ErrObjNotFound) return (await this.fromNeighbor(ctx, req)) ?? Promise.reject(e);
          throw e;
        }
      case 'HEAD':
        return (await this.fromNeighbor(ctx, req)) ?? headObject(ctx);
      case 'PUT': {
        if (this.txns.destroying(provider, name)) throw new ErrConflict(`bucket ${provider}://${name} is being destroyed`);
        const res = await putObject(ctx, req);
        await forwardIfMisplaced(this.core, this.storage, ctx.bck, objName);
        return res;
      }
      case 'DELETE':
        return this.deleteRouted(ctx, req);
      default:
        return patchObject(ctx, req);
    }
  }
}
