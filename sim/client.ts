// A client of the simulated cluster, speaking the AIS REST API to the proxy through the sim Net and
// following 307s to the target as a real client does. Its methods do not drive the scheduler: pass
// their promises to SimCluster.drive (several may be in flight together).
import type { Readable } from 'node:stream';
import type { HttpClientResponse } from '../runtime/env/types.ts';
import type { SimNetwork } from './env/net.ts';
import { SIM_CLIENT_NODE, takeBuffered } from './env/net.ts';

/** A redirect chain longer than this is a bug (the proxy redirects once). */
export const SIM_CLIENT_REDIRECTS_MAX = 3;

export interface SimResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text(): string;
}

export interface ListEntry {
  name: string;
  size?: number;
}

async function readAll(body: Readable): Promise<Buffer> {
  const whole = takeBuffered(body); // a buffered body: no stream machinery (a hot spot)
  if (whole !== undefined) return whole;
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

function objPath(bck: string, name: string): string {
  return `/v1/objects/${encodeURIComponent(bck)}/${name.split('/').map(encodeURIComponent).join('/')}`;
}

export class SimClient {
  /** Per-exchange timeout (undefined: the network default). */
  timeoutMs: number | undefined;
  constructor(readonly net: SimNetwork, readonly proxyUrl: string, readonly nodeId = SIM_CLIENT_NODE) {}

  /** One exchange; 307s are followed with the same method and body. */
  async request(method: string, path: string, opts: { body?: Uint8Array; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<SimResult> {
    return this.requestUrl(method, `${this.proxyUrl}${path}`, opts.timeoutMs ?? this.timeoutMs, opts);
  }

  /** One exchange with an absolute URL (any node); 307s followed. */
  async requestUrl(method: string, first: string, timeoutMs: number | undefined, opts: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<SimResult> {
    let url = first;
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(opts.body.byteLength);
    for (let hop = 0; ; hop++) {
      const res: HttpClientResponse = await this.net.request(this.nodeId, { method, url, headers, body: opts.body, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
      const body = await readAll(res.body);
      const location = res.headers['location'];
      if (res.status === 307 && typeof location === 'string' && hop < SIM_CLIENT_REDIRECTS_MAX) {
        url = location;
        continue;
      }
      return { status: res.status, headers: res.headers, body, text: () => body.toString('utf8') };
    }
  }

  async json(method: string, path: string, msg: unknown): Promise<SimResult> {
    return this.request(method, path, { body: Buffer.from(JSON.stringify(msg)), headers: { 'content-type': 'application/json' } });
  }

  createBucket(bck: string): Promise<SimResult> {
    return this.json('POST', `/v1/buckets/${encodeURIComponent(bck)}`, { action: 'create-bck' });
  }

  destroyBucket(bck: string): Promise<SimResult> {
    return this.json('DELETE', `/v1/buckets/${encodeURIComponent(bck)}`, { action: 'destroy-bck' });
  }

  put(bck: string, name: string, bytes: Uint8Array): Promise<SimResult> {
    return this.request('PUT', objPath(bck, name), { body: bytes });
  }

  get(bck: string, name: string): Promise<SimResult> {
    return this.request('GET', objPath(bck, name));
  }

  delete(bck: string, name: string): Promise<SimResult> {
    return this.request('DELETE', objPath(bck, name));
  }

  /** Every page of a listing (names in the order the cluster returned them); throws on a non-200 page. */
  async list(bck: string, opts: { prefix?: string; pageSize?: number } = {}): Promise<ListEntry[]> {
    const out: ListEntry[] = [];
    let token = '';
    for (;;) {
      const value: Record<string, unknown> = { props: 'name,size', continuation_token: token };
      if (opts.prefix !== undefined) value['prefix'] = opts.prefix;
      if (opts.pageSize !== undefined) value['pagesize'] = opts.pageSize;
      const r = await this.json('GET', `/v1/buckets/${encodeURIComponent(bck)}`, { action: 'list', value });
      if (r.status !== 200) throw new Error(`list ${bck}: ${r.status} ${r.text()}`);
      const page = JSON.parse(r.text()) as { entries: ListEntry[] | null; continuation_token: string };
      for (const e of page.entries ?? []) out.push(e);
      token = page.continuation_token ?? '';
      if (token === '') return out;
    }
  }

  /** The primary's cluster map, as `GET /v1/cluster?what=smap` returns it. */
  async smap(): Promise<SmapJson> {
    const r = await this.request('GET', '/v1/cluster?what=smap');
    if (r.status !== 200) throw new Error(`smap: ${r.status} ${r.text()}`);
    return JSON.parse(r.text()) as SmapJson;
  }
}

export interface SmapJson {
  version: string;
  pmap: Record<string, unknown>;
  tmap: Record<string, unknown>;
  proxy_si?: { daemon_id: string };
}
