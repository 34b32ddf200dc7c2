// The target (storage node): object I/O on its mountpaths, its share of listings, and its side of
// bucket transactions. It joins the primary and follows the metasynced Smap/BMD/config.
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { What } from '../../protocol/apc.ts';
import { bmdGet } from '../../protocol/bmd.ts';
import { ErrBckNotFound, ErrConflict, ErrNotFound } from '../../protocol/errors.ts';
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

export class TargetNode {
  readonly core: NodeCore;
  readonly storage: Storage;
  readonly txns: TargetTxns;
  readonly xacts: TargetXacts;
  #ready = false;

  constructor(core: NodeCore, storage: Storage, jobs: JobRegistry) {
    this.core = core;
    this.storage = storage;
    this.txns = new TargetTxns(core.env, storage, () => core.owner.bmd);
    this.xacts = new TargetXacts(core, jobs, storage);
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
    await core.join();
    core.startWatchdog();
    this.#ready = true;
    core.env.log.info({ smap: core.owner.smap?.version, mountpaths: this.storage.mountpathPaths().length }, 'target ready');
  }

  stop(): void {
    this.core.stop();
  }

  /** Ready once joined and while in the cluster map (a target dropped from it re-joins first). */
  readonly handle = (req: HttpRequest): Promise<HttpResponse> =>
    serveV1(this.core, req, () => this.#ready && this.core.inSmap(), (resource, items) => this.#route(req, resource, items));

  async #route(req: HttpRequest, resource: string, items: string[]): Promise<HttpResponse> {
    switch (resource) {
      case 'objects':
        return this.#objects(req, items);
      case 'daemon':
        return daemonWhat(this.core, req, (what) => (what === What.mountpaths ? this.#mountpaths() : undefined));
      default:
        throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
    }
  }

  #mountpaths() {
    return { available: this.storage.mountpathPaths(), waiting_dd: [], disabled: [] };
  }

  async #objects(req: HttpRequest, items: string[]): Promise<HttpResponse> {
    objectMethod(req.method, req.rawPath);
    const provider = providerOf(req.query);
    const name = items[2] ?? '';
    validateBckName(name);
    const objName = objNameFrom(items, 3);
    validateObjName(objName);
    const props = this.core.owner.bmd ? bmdGet(this.core.owner.bmd, provider, name) : undefined;
    if (!props) throw new ErrBckNotFound(`${provider}://${name}`);
    const ctx: ObjectCtx = {
      storage: this.storage,
      bck: { provider, name },
      props,
      objName,
      location: () => `t[${this.core.id}]`,
      fsyncPut: this.core.feature('Fsync-PUT'),
    };
    switch (req.method) {
      case 'GET':
        return getObject(ctx, req);
      case 'HEAD':
        return headObject(ctx);
      case 'PUT':
        if (this.txns.destroying(provider, name)) throw new ErrConflict(`bucket ${provider}://${name} is being destroyed`);
        return putObject(ctx, req);
      case 'DELETE':
        return deleteObject(ctx);
      default:
        return patchObject(ctx, req);
    }
  }
}
