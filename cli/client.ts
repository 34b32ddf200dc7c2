// HTTP client of the AIS native API (v1) as the CLI uses it. Public API only: it talks to any proxy,
// follows 307 redirects to targets, and maps AIS JSON errors (`Hdr-Error` on HEAD) to ErrRemote.
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { Act, Hdr, Path, Qparam, URL_VERSION } from '../protocol/apc.ts';
import type { Bck, Bprops } from '../protocol/bmd.ts';
import { ErrInvalidArgument, ErrNotReady, ErrRemote, type ShoalError } from '../protocol/errors.ts';
import type { LsoMsg, LsoRes } from '../protocol/lso.ts';
import type { Smap } from '../protocol/smap.ts';
import type { BckRef, ObjRef } from './args.ts';

/** Proxy → target is one hop; a few more tolerate a primary change mid-request. */
export const REDIRECTS_MAX = 5;
/** How long a PUT waits for `100 Continue` before sending the body anyway (curl waits 1 s). */
export const EXPECT_CONTINUE_TIMEOUT_MS = 3_000;
/** Error bodies are small AIS JSON; anything longer is cut. */
export const ERROR_BODY_LENGTH_MAX = 64 * 1024;
/** Matches node:http servers' default request timeout; uploads longer than this need a bigger one. */
export const HTTP_REQUEST_TIMEOUT_MS = 300_000;

export const ENDPOINT_DEFAULT = 'http://localhost:8080';

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

type Headers = Record<string, string>;
type ResHeaders = Record<string, string | string[] | undefined>;

export interface ActMsg {
  action: string;
  name?: string;
  value?: unknown;
}

export interface ObjectProps {
  size: number;
  cksumType?: string;
  cksumValue?: string;
  /** Unix ns as a decimal string, as `Ais-Atime`. */
  atime?: string;
  version?: string;
  custom: Record<string, string>;
  /** Every `Ais-*` header of the reply, lowercased, for `--props all`. */
  aisHeaders: Record<string, string>;
}

export interface ObjectReader {
  status: number;
  headers: ResHeaders;
  body: Readable;
}

export interface PutOptions {
  headers?: Headers;
}

/** A re-openable body: a redirected PUT sends the same bytes again to the target. */
export interface BodySource {
  size: number;
  open(): Readable;
}

export class AisClient {
  readonly endpoint: URL;
  readonly #dispatcher = new Agent({ headersTimeout: HTTP_REQUEST_TIMEOUT_MS, bodyTimeout: HTTP_REQUEST_TIMEOUT_MS });
  readonly #httpAgent = new http.Agent({ keepAlive: true });
  readonly #httpsAgent = new https.Agent({ keepAlive: true });

  constructor(endpoint: string) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ErrInvalidArgument(`invalid endpoint "${endpoint}": expected a URL such as ${ENDPOINT_DEFAULT}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ErrInvalidArgument(`invalid endpoint "${endpoint}": only http:// and https:// are supported`);
    }
    this.endpoint = url;
  }

  async close(): Promise<void> {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
    await this.#dispatcher.close();
  }

  // ---- buckets ----

  async listBuckets(provider = ''): Promise<Bck[]> {
    const query: Record<string, string> = provider === '' ? {} : { [Qparam.provider]: provider };
    const res = await this.#json('GET', this.url([Path.buckets], query), { action: Act.list, name: '' });
    return (await res.body.json()) as Bck[];
  }

  async createBucket(bck: BckRef): Promise<void> {
    await this.#actAndDrain('POST', this.bckUrl(bck), { action: Act.createBck });
  }

  async destroyBucket(bck: BckRef): Promise<void> {
    await this.#actAndDrain('DELETE', this.bckUrl(bck), { action: Act.destroyBck });
  }

  async bucketProps(bck: BckRef): Promise<Bprops> {
    const res = await this.#send('HEAD', this.bckUrl(bck), {});
    await res.body.dump();
    const raw = header(res.headers, Hdr.bucketProps);
    if (raw === undefined) throw new ErrRemote('ErrHTTP', res.statusCode, `HEAD ${this.bckUrl(bck).pathname}: no ${Hdr.bucketProps} header in the reply`);
    return JSON.parse(raw) as Bprops;
  }

  async setBucketProps(bck: BckRef, value: unknown): Promise<void> {
    await this.#actAndDrain('PATCH', this.bckUrl(bck), { action: Act.setBprops, value });
  }

  async resetBucketProps(bck: BckRef): Promise<void> {
    await this.#actAndDrain('PATCH', this.bckUrl(bck), { action: Act.resetBprops });
  }

  /** One page of list-objects; the caller loops on `continuation_token`. */
  async listObjectsPage(bck: BckRef, msg: LsoMsg): Promise<LsoRes> {
    const res = await this.#json('GET', this.bckUrl(bck), { action: Act.list, value: msg });
    return (await res.body.json()) as LsoRes;
  }

  // ---- objects ----

  /** GET, following the proxy's redirect; the caller must consume `body`. */
  async getObject(obj: ObjRef, headers: Headers = {}): Promise<ObjectReader> {
    const res = await this.#send('GET', this.objUrl(obj), { headers });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  async headObject(obj: ObjRef): Promise<ObjectProps> {
    const res = await this.#send('HEAD', this.objUrl(obj), {});
    await res.body.dump();
    return objectPropsFromHeaders(res.headers);
  }

  async deleteObject(obj: ObjRef): Promise<void> {
    const res = await this.#send('DELETE', this.objUrl(obj), {});
    await res.body.dump();
  }

  /**
   * Streams `src` with `Expect: 100-continue`: the proxy answers 307 before any byte is sent, and the
   * same request is repeated at `Location` (AIS redirect flow, §2.8).
   */
  async putObject(obj: ObjRef, src: BodySource, opts: PutOptions = {}): Promise<void> {
    let url = this.objUrl(obj);
    for (let hop = 0; hop <= REDIRECTS_MAX; hop++) {
      const reply = await this.#putOnce(url, src, opts.headers ?? {});
      if (reply.location !== undefined) {
        url = new URL(reply.location, url);
        continue;
      }
      if (reply.status >= 400) throw errorFromBody('PUT', url, reply.status, reply.body);
      return;
    }
    throw new ErrRemote('ErrHTTP', 508, `PUT ${this.objUrl(obj).pathname}: more than ${REDIRECTS_MAX} redirects`);
  }

  // ---- cluster ----

  async smap(): Promise<Smap> {
    return (await this.clusterWhat('smap')) as Smap;
  }

  /** An action message (JSON body) with redirects followed; any 2xx returns its status and text. */
  async act(method: Dispatcher.HttpMethod, url: URL, msg: unknown, headers: Headers = {}): Promise<{ status: number; text: string }> {
    const body = msg === undefined ? undefined : JSON.stringify(msg); // undefined: no body (a GET)
    const res = await this.#send(method, url, { body, headers: { 'content-type': 'application/json', ...headers } });
    return { status: res.statusCode, text: await res.body.text() };
  }

  async clusterWhat(what: string): Promise<unknown> {
    const res = await this.#send('GET', this.url([Path.cluster], { [Qparam.what]: what }), {});
    return res.body.json();
  }

  // ---- URLs ----

  url(segments: readonly string[], query: Record<string, string> = {}): URL {
    const base = this.endpoint.pathname.replace(/\/+$/, '');
    const u = new URL(this.endpoint);
    u.pathname = `${base}/${URL_VERSION}/${segments.join('/')}`;
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u;
  }

  bckUrl(bck: BckRef): URL {
    return this.url([Path.buckets, encodeURIComponent(bck.name)], providerQuery(bck));
  }

  objUrl(obj: ObjRef): URL {
    const name = obj.objName.split('/').map(encodeURIComponent).join('/');
    return this.url([Path.objects, encodeURIComponent(obj.bck.name), name], providerQuery(obj.bck));
  }

  // ---- transport ----

  async #json(method: Dispatcher.HttpMethod, url: URL, msg: ActMsg): Promise<Dispatcher.ResponseData> {
    return this.#send(method, url, { body: JSON.stringify(msg), headers: { 'content-type': 'application/json' } });
  }

  async #actAndDrain(method: Dispatcher.HttpMethod, url: URL, msg: ActMsg): Promise<void> {
    const res = await this.#json(method, url, msg);
    await res.body.dump();
  }

  /** One request with redirects followed (same method and body) and errors mapped; 2xx only returns. */
  async #send(method: Dispatcher.HttpMethod, first: URL, opts: { body?: string; headers?: Headers }): Promise<Dispatcher.ResponseData> {
    let url = first;
    for (let hop = 0; hop <= REDIRECTS_MAX; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method, headers: opts.headers, body: opts.body, dispatcher: this.#dispatcher });
      } catch (err) {
        throw netError(err, url);
      }
      const location = header(res.headers, 'location');
      if (REDIRECT_STATUSES.has(res.statusCode) && location !== undefined) {
        await res.body.dump();
        url = new URL(location, url);
        continue;
      }
      if (res.statusCode >= 400) {
        if (method === 'HEAD') {
          // HEAD has no body: AIS sends the error JSON in Hdr-Error.
          await res.body.dump();
          throw errorFromBody(method, url, res.statusCode, header(res.headers, Hdr.error) ?? '');
        }
        throw errorFromBody(method, url, res.statusCode, await readBounded(res.body));
      }
      return res;
    }
    throw new ErrRemote('ErrHTTP', 508, `${method} ${first.pathname}: more than ${REDIRECTS_MAX} redirects`);
  }

  #putOnce(url: URL, src: BodySource, headers: Headers): Promise<{ status: number; location?: string; body: string }> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let bodyStarted = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const expect = src.size > 0;
      const tls = url.protocol === 'https:';
      const req = (tls ? https : http).request(url, {
        method: 'PUT',
        agent: tls ? this.#httpsAgent : this.#httpAgent,
        timeout: HTTP_REQUEST_TIMEOUT_MS,
        headers: { ...headers, 'content-length': String(src.size), ...(expect ? { expect: '100-continue' } : {}) },
      });
      const startBody = (): void => {
        if (bodyStarted || settled) return;
        bodyStarted = true;
        clearTimeout(timer);
        const body = src.open();
        body.on('error', (err) => {
          settle(() => reject(err));
          req.destroy();
        });
        body.pipe(req);
      };
      // Servers that ignore Expect never send 100: send the body after a while, as curl does.
      const timer = expect ? setTimeout(startBody, EXPECT_CONTINUE_TIMEOUT_MS) : undefined;
      req.on('continue', startBody);
      req.on('timeout', () => req.destroy(new Error(`no reply within ${HTTP_REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (err) => settle(() => reject(netError(err, url))));
      req.on('response', (res) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          res.resume();
          // The body was never sent (or only partly): this connection cannot carry another request.
          if (!req.writableFinished) req.destroy();
          settle(() => resolve({ status, location, body: '' }));
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < ERROR_BODY_LENGTH_MAX) body += chunk;
        });
        res.on('end', () => settle(() => resolve({ status, body: body.slice(0, ERROR_BODY_LENGTH_MAX) })));
        res.on('error', (err) => settle(() => reject(err)));
        if (!req.writableFinished && status >= 400) req.destroy();
      });
      if (expect) req.flushHeaders();
      else req.end();
    });
  }
}

function providerQuery(bck: BckRef): Record<string, string> {
  return bck.provider === 'ais' ? {} : { [Qparam.provider]: bck.provider };
}

export function header(headers: ResHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function headerAll(headers: ResHeaders, name: string): string[] {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** HEAD object reply (§3) → props; `Ais-Custom-Md` may repeat, each `k=v` (or a comma list). */
export function objectPropsFromHeaders(headers: ResHeaders): ObjectProps {
  const custom: Record<string, string> = {};
  for (const line of headerAll(headers, Hdr.customMd)) {
    for (const kv of line.split(',')) {
      const eq = kv.indexOf('=');
      if (eq > 0) custom[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
    }
  }
  const aisHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase().startsWith('ais-') && v !== undefined) aisHeaders[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  const len = header(headers, 'content-length');
  return {
    size: len === undefined ? 0 : Number(len),
    cksumType: header(headers, Hdr.cksumType),
    cksumValue: header(headers, Hdr.cksumValue),
    atime: header(headers, Hdr.atime),
    version: header(headers, Hdr.version),
    custom,
    aisHeaders,
  };
}

/** AIS error JSON `{tcode, message, status}` → ErrRemote; a non-JSON body becomes the message. */
export function errorFromBody(method: string, url: URL, status: number, body: string): ShoalError {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as { tcode?: unknown; message?: unknown; status?: unknown };
      if (typeof j.message === 'string' && j.message !== '') {
        return new ErrRemote(typeof j.tcode === 'string' ? j.tcode : 'ErrHTTP', typeof j.status === 'number' ? j.status : status, j.message);
      }
    } catch {
      // not JSON after all: fall through to the raw text
    }
  }
  const reason = http.STATUS_CODES[status] ?? 'error';
  return new ErrRemote('ErrHTTP', status, text !== '' ? text : `${method} ${url.pathname}: ${status} ${reason}`);
}

async function readBounded(body: Readable): Promise<string> {
  let out = '';
  body.setEncoding('utf8');
  for await (const chunk of body as AsyncIterable<string>) {
    if (out.length < ERROR_BODY_LENGTH_MAX) out += chunk;
  }
  return out.slice(0, ERROR_BODY_LENGTH_MAX);
}

const NET_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** Socket errors → a message that names the endpoint (ECONNREFUSED may hide in `cause` or `errors`). */
function netError(err: unknown, url: URL): unknown {
  const code = findCode(err);
  if (code === undefined || NET_CODES[code] === undefined) return err;
  return new ErrNotReady(`cannot reach AIS at ${url.origin} (${NET_CODES[code]}): is the cluster running? (set AIS_ENDPOINT or --endpoint)`);
}

function findCode(err: unknown, depth = 0): string | undefined {
  if (depth > 3 || err === null || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && NET_CODES[e.code] !== undefined) return e.code;
  const fromCause = findCode(e.cause, depth + 1);
  if (fromCause !== undefined) return fromCause;
  if (Array.isArray(e.errors)) for (const x of e.errors) {
    const c = findCode(x, depth + 1);
    if (c !== undefined) return c;
  }
  return typeof e.code === 'string' ? e.code : undefined;
}
