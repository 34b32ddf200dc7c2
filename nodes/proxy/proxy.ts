// The proxy (gateway): native REST API frontend. Control plane and listing are served here; object
// requests are redirected (307) to the HRW target or relayed in reverse-proxy mode. Non-primary
// proxies forward metadata changes to the primary.
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { Act, Hdr, What } from '../../protocol/apc.ts';
import { bmdBuckets, bmdGet, defaultBprops } from '../../protocol/bmd.ts';
import { FEATURE_REVERSE_PROXY, parseFeatures, featureNames } from '../../protocol/feat.ts';
import {
  ErrBadActMsg, ErrBckNotFound, ErrInvalidArgument, ErrMethodNotAllowed, ErrNoTargets, ErrNotFound,
} from '../../protocol/errors.ts';
import type { JoinRequest } from '../../protocol/intra.ts';
import { RebMsg, type NodeShutdownReq } from '../../protocol/reb.ts';
import { validateBckName, validateObjName } from '../../protocol/names.ts';
import { NodeCore } from '../common/node-core.ts';
import { jsonResponse, objNameFrom, providerOf, readBody, readJson, textResponse } from '../common/http.ts';
import { parseActMsg, unknownAction, type ActMsg } from '../common/actmsg.ts';
import { redirectResponse, redirectUrl, relay } from '../common/redirect.ts';
import { daemonWhat } from '../common/node-info.ts';
import { serveV1 } from '../common/frontend.ts';
import { targetCandidates } from '../cluster/smap.ts';
import { parseBpropsToSet, mergeBprops } from '../cluster/bprops.ts';
import { bckUname } from '../../protocol/bmd.ts';
import { Primary } from './primary.ts';
import { isMemberAction, Membership, parseRmNode } from './membership.ts';
import { parseArgsMsg } from '../../protocol/xact.ts';
import { BucketControl } from './buckets.ts';
import { listObjects, listResponse, parseLsoMsg } from './list.ts';
import { ProxyXacts } from './xact.ts';
import { reverseDaemon } from './reverse.ts';
import { isS3Path, serveS3 } from '../common/s3-frontend.ts';
import { ProxyS3 } from './s3/router.ts';
import { bucketCopy, CopyBckAct } from './copy-bck.ts';
import { mossGet } from './moss.ts';
import { defaultGetBatchConf, setGetBatchConf, type GetBatchConf } from '../../protocol/moss.ts';
import { BckJobAct, bucketListRange, bucketSummary, clusterXactAction, clusterXactQuery, isXactAction, isXactWhat } from './xact-api.ts';

export class ProxyNode {
  readonly core: NodeCore;
  readonly primary: Primary;
  readonly buckets: BucketControl;
  readonly xacts: ProxyXacts;
  readonly membership: Membership;
  /** The S3 API (`/s3/...`, or the root with feature S3-API-via-Root). */
  readonly s3: ProxyS3;
  /** Decommission of this (non-primary) proxy: the process entry stops it. */
  onShutdown: ((req: NodeShutdownReq) => void) | undefined;
  #ready = false;

  constructor(core: NodeCore) {
    this.core = core;
    this.primary = new Primary(core);
    this.buckets = new BucketControl(core, this.primary);
    this.xacts = new ProxyXacts(core);
    this.membership = new Membership(core, this.primary);
    this.s3 = new ProxyS3(this);
    // The primary triggers rebalances (RMD) and is their IC: it aggregates the targets' results.
    this.primary.onRebalance = (id, targets) => this.xacts.track(id, 'rebalance', targets);
    this.xacts.onEnd((agg) => this.membership.onRebalanceEnd(agg));
  }

  /** Primary: build/resume metadata and start keepalives. Others: join the primary. */
  async start(): Promise<void> {
    const { core } = this;
    await core.owner.load();
    core.registerMemberHandlers();
    this.xacts.register();
    core.ctrl.handle(RebMsg.shutdown, async (b) => {
      const req = b as NodeShutdownReq;
      if (req.decommission) {
        core.standby = true;
        await core.owner.forget();
      }
      if (!req.noShutdown) core.env.timers.setTimeout(() => this.onShutdown?.(req), 0);
      return { ok: true };
    });
    const selfUrl = core.self.public_net.direct_url;
    if (sameUrl(selfUrl, core.cfg.proxy.primary_url)) {
      await this.primary.init();
      this.primary.startKeepalive();
    } else {
      await core.join();
      core.startWatchdog();
    }
    this.#ready = true;
    core.env.log.info({ primary: core.isPrimary(), smap: core.owner.smap?.version }, 'proxy ready');
  }

  stop(): void {
    this.primary.stop();
    this.core.stop();
  }

  readonly handle = (req: HttpRequest): Promise<HttpResponse> => {
    if (isS3Path(this.core, req.rawPath)) return serveS3(this.core, req, () => this.#ready, (s3) => this.s3.handle(s3));
    return serveV1(this.core, req, () => this.#ready, (resource, items) => this.#route(req, resource, items));
  };

  async #route(req: HttpRequest, resource: string, items: string[]): Promise<HttpResponse> {
    switch (resource) {
      case 'buckets':
        return this.#buckets(req, items);
      case 'objects':
        return this.#objects(req, items);
      case 'cluster':
        return this.#cluster(req, items);
      case 'daemon':
        return daemonWhat(this.core, req, () => undefined);
      case 'reverse':
        return reverseDaemon(this.core, req, items);
      case 'ml':
        return mossGet(this.core, req, items); // GetBatch (AIS x-moss)
      default:
        throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
    }
  }

  // ---- /v1/buckets ---------------------------------------------------------------------------

  async #buckets(req: HttpRequest, items: string[]): Promise<HttpResponse> {
    const provider = providerOf(req.query);
    const name = items[2];
    if (items.length > 3) throw new ErrInvalidArgument(`invalid URL path "${req.rawPath}": too many items`);
    if (name === undefined || name === '') {
      if (req.method !== 'GET') throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET']);
      const body = await readJson(req);
      const msg = body === undefined ? { action: Act.list } : parseActMsg(body);
      if (msg.action !== Act.list) unknownAction(msg, 'GET /v1/buckets');
      const filterProvider = req.query.get('provider') ? provider : undefined;
      const list = bmdBuckets(this.core.owner.bmd!)
        .filter((b) => filterProvider === undefined || b.provider === filterProvider)
        .filter((b) => !msg.name || b.name === msg.name)
        .map((b) => ({ name: b.name, provider: b.provider, namespace: { uuid: '', name: '' } }));
      return jsonResponse(200, list);
    }
    validateBckName(name);
    const bck = { provider, name };
    switch (req.method) {
      case 'HEAD': {
        const props = this.#bprops(bck);
        return { status: 200, headers: { [Hdr.bucketProps]: JSON.stringify(props), [Hdr.versioningEnabled]: String(props.versioning.enabled), [Hdr.provider]: provider } };
      }
      case 'GET': {
        const msg = parseActMsg(await readJson(req));
        if (msg.action === BckJobAct.summaryBck) {
          this.#bprops(bck);
          return bucketSummary(this.xacts, bck, msg.value);
        }
        if (msg.action !== Act.list) unknownAction(msg, 'GET /v1/buckets/<bucket>');
        this.#bprops(bck);
        const lso = parseLsoMsg(msg.value);
        const res = await listObjects(this.core, bck, lso, () => Buffer.from(this.core.env.random.bytes(9)).toString('base64url'));
        const accept = req.headers.accept;
        return listResponse(res, Array.isArray(accept) ? accept.join(',') : accept);
      }
      case 'POST':
      case 'DELETE':
      case 'PATCH': {
        const raw = await readBody(req);
        const jobMsg = req.method === 'DELETE' && raw.length > 0 ? parseActMsg(parseJson(raw)) : undefined;
        if (jobMsg && (jobMsg.action === BckJobAct.deleteListRange || jobMsg.action === BckJobAct.evictListRange)) {
          this.#bprops(bck);
          return bucketListRange(this.xacts, bck, jobMsg); // any proxy runs jobs (and is their IC)
        }
        if (!this.core.isPrimary()) return relay(this.core.env, req, this.#primaryUrl(req), raw);
        const msg = parseActMsg(raw.length === 0 ? undefined : parseJson(raw));
        if (req.method === 'POST' && msg.action === CopyBckAct) {
          return bucketCopy(this.core, this.buckets, this.xacts, bck, req.query.get('bck_to'), msg.value);
        }
        return this.#bucketAction(req.method, bck, msg);
      }
      default:
        throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE']);
    }
  }

  async #bucketAction(method: string, bck: { provider: string; name: string }, msg: ActMsg): Promise<HttpResponse> {
    const where = `${method} /v1/buckets/<bucket>`;
    if (method === 'POST') {
      if (msg.action !== Act.createBck) unknownAction(msg, where);
      if (bck.provider !== 'ais') throw new ErrInvalidArgument(`cannot create ${bck.provider}://${bck.name}: only ais buckets are supported`);
      await this.buckets.create(bck, parseBpropsToSet(msg.value));
      return { status: 200 };
    }
    if (method === 'DELETE') {
      if (msg.action !== Act.destroyBck) unknownAction(msg, where);
      await this.buckets.destroy(bck);
      return { status: 200 };
    }
    if (msg.action === Act.setBprops) {
      const set = parseBpropsToSet(msg.value);
      await this.buckets.setProps(bck, (cur) => mergeBprops(cur, set));
      return { status: 200 };
    }
    if (msg.action === Act.resetBprops) {
      await this.buckets.setProps(bck, (cur) => ({ ...defaultBprops(cur.provider, BigInt(cur.created), BigInt(cur.bid)) }));
      return { status: 200 };
    }
    unknownAction(msg, where);
  }

  #bprops(bck: { provider: string; name: string }) {
    const props = bmdGet(this.core.owner.bmd!, bck.provider, bck.name);
    if (!props) throw new ErrBckNotFound(`${bck.provider}://${bck.name}`);
    return props;
  }

  #primaryUrl(req: HttpRequest): string {
    const q = req.query.toString();
    return `${this.core.primaryUrl()}${req.rawPath}${q ? `?${q}` : ''}`;
  }

  // ---- /v1/objects ---------------------------------------------------------------------------

  async #objects(req: HttpRequest, items: string[]): Promise<HttpResponse> {
    const allowed = ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'POST']; // POST: native multipart (mpt-*)
    if (!allowed.includes(req.method)) throw new ErrMethodNotAllowed(req.method, req.rawPath, allowed);
    const provider = providerOf(req.query);
    const name = items[2] ?? '';
    validateBckName(name);
    const objName = objNameFrom(items, 3);
    validateObjName(objName);
    this.#bprops({ provider, name });
    const smap = this.core.owner.smap!;
    const target = this.core.hrw.select(targetCandidates(smap), bckUname(provider, name) + objName);
    if (!target) throw new ErrNoTargets();
    const location = redirectUrl(target.node, req, this.core.id, this.core.env.clock.realtimeNs(), Number(smap.version));
    if (this.core.feature(FEATURE_REVERSE_PROXY)) return relay(this.core.env, req, location);
    return redirectResponse(location);
  }

  // ---- /v1/cluster ---------------------------------------------------------------------------

  async #cluster(req: HttpRequest, items: string[]): Promise<HttpResponse> {
    const sub = items[2] ?? '';
    if (req.method === 'GET' && sub === '') {
      const what = req.query.get('what') ?? '';
      switch (what) {
        case What.smap:
          return jsonResponse(200, this.core.owner.smap);
        case What.bmd:
          return jsonResponse(200, this.core.owner.bmd);
        case What.clusterConfig:
        case What.config:
          return jsonResponse(200, { ...this.core.owner.config, features_names: featureNames(BigInt(this.core.owner.config!.features)) });
        case What.targetIPs:
          return textResponse(200, Object.values(this.core.owner.smap!.tmap).map((t) => t.public_net.node_ip_addr).join(','));
        default:
          if (isXactWhat(what)) return clusterXactQuery(this.xacts, what, await readJson(req));
          throw new ErrInvalidArgument(`invalid GET /v1/cluster request: unrecognized what=${what}`);
      }
    }
    if (req.method === 'POST' && sub === 'autoreg') {
      const raw = await readBody(req);
      if (!this.core.isPrimary()) return relay(this.core.env, req, this.#primaryUrl(req), raw);
      const join = parseJson(raw) as JoinRequest;
      return jsonResponse(200, await this.primary.join(join));
    }
    if (req.method === 'POST' && sub === 'join-by-admin') {
      const raw = await readBody(req);
      if (!this.core.isPrimary()) return relay(this.core.env, req, this.#primaryUrl(req), raw);
      return jsonResponse(200, await this.membership.joinByAdmin(parseJson(raw)));
    }
    if (req.method === 'PUT' && (sub === 'set-config' || sub === '')) {
      const raw = await readBody(req);
      if (sub === '' && raw.length > 0) {
        const msg = parseActMsg(parseJson(raw));
        const rebalance = msg.action === 'start' && ProxyXacts.kindOf(parseArgsMsg(msg.value).kind, true) === 'rebalance';
        if (isXactAction(msg.action) && !rebalance) return clusterXactAction(this.xacts, msg);
        if (rebalance || isMemberAction(msg.action)) {
          if (!this.core.isPrimary()) return relay(this.core.env, req, this.#primaryUrl(req), raw);
          // A rebalance by hand is a new RMD version, like one triggered by a membership change.
          if (rebalance) return textResponse(200, await this.primary.startRebalance());
          if (isMemberAction(msg.action)) return textResponse(200, await this.membership.act(msg.action, parseRmNode(msg.value)));
        }
      }
      if (!this.core.isPrimary()) return relay(this.core.env, req, this.#primaryUrl(req), raw);
      return this.#setConfig(req, sub, raw);
    }
    if (sub === '' || sub === 'autoreg' || sub === 'set-config' || sub === 'join-by-admin') throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET', 'PUT', 'POST']);
    throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
  }

  /** `PUT /v1/cluster/set-config?features=...` or `PUT /v1/cluster {action: set-config, value: {...}}`. */
  async #setConfig(req: HttpRequest, sub: string, raw: Buffer): Promise<HttpResponse> {
    const kvs: Record<string, string> = {};
    if (sub === 'set-config') {
      for (const [k, v] of req.query) if (k !== 'transient') kvs[k] = v;
    } else {
      const msg = parseActMsg(parseJson(raw));
      if (msg.action !== 'set-config') unknownAction(msg, 'PUT /v1/cluster');
      const value = (msg.value ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(value)) kvs[k] = String(v);
    }
    if (Object.keys(kvs).length === 0) throw new ErrInvalidArgument('set-config: nothing to update');
    let getBatch = undefined as GetBatchConf | undefined;
    for (const k of Object.keys(kvs)) {
      if (k.startsWith('get_batch.')) {
        getBatch = setGetBatchConf(getBatch ?? { ...defaultGetBatchConf(), ...this.core.owner.config!.get_batch }, k.slice('get_batch.'.length), kvs[k]!);
        continue;
      }
      if (k !== 'features') throw new ErrInvalidArgument(`set-config: "${k}" cannot be updated (supported: features, get_batch.*)`);
    }
    const features = kvs.features === undefined ? undefined : parseFeatures(kvs.features);
    await this.primary.updateConfig((cur) => ({
      ...cur,
      ...(features === undefined ? {} : { features: String(features) }),
      ...(getBatch === undefined ? {} : { get_batch: getBatch }),
    }));
    return { status: 200 };
  }
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    throw new ErrBadActMsg(`failed to parse request body as JSON: ${(e as Error).message}`);
  }
}

function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => u.replace(/\/+$/, '').replace('://localhost:', '://127.0.0.1:');
  return norm(a) === norm(b);
}
