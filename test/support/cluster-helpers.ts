// Helpers for the cluster integration tests (formation, buckets, list-objects): HTTP calls with AIS
// action bodies, AIS error assertions, bounded polling, bulk PUT.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'undici';

export const POLL_INTERVAL_MS = 100;
export const POLL_TIMEOUT_MS_DEFAULT = 30_000;
export const PUT_CONCURRENCY_DEFAULT = 32;

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request, redirects not followed; unlike fetch, a GET may carry a body (AIS list calls). */
export async function http(url: string, opts: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Buffer | undefined;
  if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await request(url, { method: (opts.method ?? 'GET') as 'GET', headers, body });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  }
  return { status: res.statusCode, headers: h, body: buf, text: buf.toString('utf8') };
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const r = await http(url);
  assert.equal(r.status, 200, `GET ${url}: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as T;
}

export interface AisErrorBody {
  tcode: string;
  message: string;
  method: string;
  url_path: string;
  status: number;
  node: string;
}

/** Asserts an AIS error reply: the HTTP status, the JSON body (or `hdr-error` on HEAD), its tcode and a message part. */
export function assertAisError(r: HttpResult, status: number, tcode: string, messagePart?: string | RegExp, isHead = false): AisErrorBody {
  assert.equal(r.status, status, `expected ${status} ${tcode}, got ${r.status}: ${r.text || r.headers.get('hdr-error')}`);
  const raw = isHead ? r.headers.get('hdr-error') : r.text;
  assert.ok(raw, isHead ? 'HEAD error reply must carry hdr-error' : 'error reply must have a JSON body');
  if (isHead) assert.equal(r.body.length, 0, 'HEAD reply has no body');
  const e = JSON.parse(raw) as AisErrorBody;
  assert.equal(e.tcode, tcode, `tcode: ${raw}`);
  assert.equal(e.status, status);
  assert.equal(typeof e.message, 'string');
  if (messagePart !== undefined) {
    if (typeof messagePart === 'string') assert.ok(e.message.includes(messagePart), `message "${e.message}" should include "${messagePart}"`);
    else assert.match(e.message, messagePart);
  }
  return e;
}

/** Polls `fn` until it returns a value that is not undefined; throws after `timeoutMs` with the last observation. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = POLL_TIMEOUT_MS_DEFAULT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`timed out waiting for ${what} (${timeoutMs} ms; last error: ${String(last)})`);
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

export async function makeTempDir(): Promise<string> {
  return mkdtemp(tmpdir() + '/shoal-it-');
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export async function createBucket(proxyUrl: string, name: string, value?: unknown): Promise<void> {
  const r = await http(`${proxyUrl}/v1/buckets/${name}`, { method: 'POST', body: value === undefined ? { action: 'create-bck' } : { action: 'create-bck', value } });
  assert.equal(r.status, 200, `create-bck ${name}: ${r.status} ${r.text}`);
}

export async function destroyBucket(proxyUrl: string, name: string): Promise<void> {
  const r = await http(`${proxyUrl}/v1/buckets/${name}`, { method: 'DELETE', body: { action: 'destroy-bck' } });
  assert.equal(r.status, 200, `destroy-bck ${name}: ${r.status} ${r.text}`);
}

/**
 * PUTs every name (body = the name) through the proxy with bounded concurrency. The 307 is followed by
 * hand: Node 20's fetch fails re-sending a byte body on redirect ("detached ArrayBuffer").
 */
export async function putObjects(proxyUrl: string, bucket: string, names: readonly string[], concurrency = PUT_CONCURRENCY_DEFAULT): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= names.length) return;
      const name = names[i]!;
      const path = `/v1/objects/${bucket}/${name.split('/').map(encodeURIComponent).join('/')}`;
      let res = await fetch(`${proxyUrl}${path}`, { method: 'PUT', body: Buffer.from(name), redirect: 'manual' });
      if (res.status === 307) {
        await res.arrayBuffer();
        const location = res.headers.get('location');
        assert.ok(location, `PUT ${bucket}/${name}: 307 without location`);
        res = await fetch(location, { method: 'PUT', body: Buffer.from(name), redirect: 'manual' });
      }
      const text = await res.text();
      assert.equal(res.status, 200, `PUT ${bucket}/${name}: ${res.status} ${text}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
}

/** The version of a Smap/BMD JSON, as a number (AIS sends it as a string). */
export function versionOf(meta: { version: string }): number {
  assert.equal(typeof meta.version, 'string', 'version is a JSON string');
  assert.match(meta.version, /^[0-9]+$/);
  return Number(meta.version);
}
