// Helpers for the object I/O integration tests: one local cluster per file, bucket creation, the
// 307 hop, on-disk lookups under a target's mountpaths, and raw HTTP over a socket (for paths that
// fetch would normalize and bodies that lie about their length).
import { connect } from 'node:net';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions, type LocalNode } from '../../deploy/local/cluster.ts';

/** Bound on one raw-socket exchange: a server that neither answers nor closes fails the test. */
export const RAW_RESPONSE_TIMEOUT_MS = 15_000;
/** Bound on polling the disk for a condition (work files removed, etc.). */
export const DISK_POLL_TIMEOUT_MS = 10_000;
const DISK_POLL_INTERVAL_MS = 100;

export interface ObjCluster {
  cluster: LocalCluster;
  proxyUrl: string;
  /** Stops every node and removes the temp dir. */
  close(): Promise<void>;
}

export async function startObjCluster(opts: Omit<LocalClusterOptions, 'dir'> = {}): Promise<ObjCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-it-'));
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({ dir, ...opts });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    cluster,
    proxyUrl: cluster.proxyUrl,
    close: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function createBucket(proxyUrl: string, name: string, props?: unknown): Promise<void> {
  const res = await fetch(`${proxyUrl}/v1/buckets/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(props === undefined ? { action: 'create-bck' } : { action: 'create-bck', value: props }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`create bucket ${name}: ${res.status} ${text}`);
}

export function objUrl(proxyUrl: string, bck: string, obj: string, query = ''): string {
  return `${proxyUrl}/v1/objects/${bck}/${obj.split('/').map(encodeURIComponent).join('/')}${query}`;
}

/**
 * PUT through the proxy, following the 307 by re-sending the same body to its Location. (Node 20's
 * fetch fails to re-send a Buffer body on redirect: "Cannot perform ArrayBuffer.prototype.slice on
 * a detached ArrayBuffer", so the hop is done here, as an SDK does.) A non-307 answer is returned.
 */
export async function putObj(proxyUrl: string, bck: string, obj: string, data: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const first = await fetch(objUrl(proxyUrl, bck, obj), { method: 'PUT', body: data, headers, redirect: 'manual' });
  await first.arrayBuffer();
  const location = first.headers.get('location');
  if (first.status !== 307 || !location) return first;
  const res = await fetch(location, { method: 'PUT', body: data, headers });
  await res.arrayBuffer();
  return res;
}

/** Like putObj, but the final response's body is kept (as text). */
export async function putObjText(proxyUrl: string, bck: string, obj: string, data: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string; res: Response }> {
  const first = await fetch(objUrl(proxyUrl, bck, obj), { method: 'PUT', body: data, headers, redirect: 'manual' });
  const firstText = await first.text();
  const location = first.headers.get('location');
  if (first.status !== 307 || !location) return { status: first.status, text: firstText, res: first };
  const res = await fetch(location, { method: 'PUT', body: data, headers });
  return { status: res.status, text: await res.text(), res };
}

export async function getObj(proxyUrl: string, bck: string, obj: string, init: RequestInit = {}, query = ''): Promise<{ res: Response; body: Buffer }> {
  const res = await fetch(objUrl(proxyUrl, bck, obj, query), init);
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

/** The proxy's 307 Location for an object request (no body is sent). */
export async function redirectLocation(proxyUrl: string, method: string, bck: string, obj: string, query = ''): Promise<string> {
  const res = await fetch(objUrl(proxyUrl, bck, obj, query), { method, redirect: 'manual' });
  await res.arrayBuffer();
  if (res.status !== 307) throw new Error(`${method} ${bck}/${obj}: expected 307, got ${res.status}`);
  const loc = res.headers.get('location');
  if (!loc) throw new Error('307 without location');
  return loc;
}

export function targetByUrl(cluster: LocalCluster, url: string): LocalNode {
  const origin = new URL(url).origin;
  const node = cluster.nodes.find((n) => n.role === 'target' && new URL(n.publicUrl).origin === origin);
  if (!node) throw new Error(`no target at ${origin}`);
  return node;
}

export function targets(cluster: LocalCluster): LocalNode[] {
  return cluster.nodes.filter((n) => n.role === 'target');
}

export async function mountpathsOf(node: LocalNode): Promise<string[]> {
  const cfg = JSON.parse(await readFile(node.configPath, 'utf8')) as { fspaths?: Record<string, string> };
  return Object.keys(cfg.fspaths ?? {});
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Every object file of `bck/obj` on this target (`<mpath>/@ais/<bck>/%ob/<obj>`). */
export async function objFilesOn(node: LocalNode, bck: string, obj: string): Promise<string[]> {
  const out: string[] = [];
  for (const mp of await mountpathsOf(node)) {
    const p = join(mp, '@ais', bck, '%ob', obj);
    if (await exists(p)) out.push(p);
  }
  return out;
}

/** Work files of `bck` on this target (`<mpath>/@ais/<bck>/%wk/*`). */
export async function workFilesOn(node: LocalNode, bck: string): Promise<string[]> {
  const out: string[] = [];
  for (const mp of await mountpathsOf(node)) {
    const dir = join(mp, '@ais', bck, '%wk');
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names) out.push(join(dir, n));
  }
  return out;
}

/** Polls until `cond` holds or the bound passes; returns the last value of `cond`. */
export async function pollUntil(cond: () => Promise<boolean>, timeoutMs = DISK_POLL_TIMEOUT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, DISK_POLL_INTERVAL_MS));
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The whole bytes received (empty when the server closed without answering). */
  raw: Buffer;
}

export interface RawOpts {
  /** Half-close (FIN) after writing instead of waiting with the write side open. */
  endAfterWrite?: boolean;
  timeoutMs?: number;
}

/**
 * Writes `head` (+ `body`) to a fresh socket to `baseUrl`'s host and reads until the server closes
 * or a full Content-Length response arrived. Resolves with status 0 when the server closed silently.
 */
export async function rawExchange(baseUrl: string, head: string, body: Uint8Array = new Uint8Array(0), opts: RawOpts = {}): Promise<RawResponse> {
  const u = new URL(baseUrl);
  const sock = connect({ host: u.hostname, port: Number(u.port) });
  const chunks: Buffer[] = [];
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) return reject(err);
      resolve(parseRaw(Buffer.concat(chunks)));
    };
    const timer = setTimeout(() => finish(new Error(`no answer and no close from ${u.host} in ${opts.timeoutMs ?? RAW_RESPONSE_TIMEOUT_MS} ms`)), opts.timeoutMs ?? RAW_RESPONSE_TIMEOUT_MS);
    sock.on('connect', () => {
      sock.write(head);
      if (body.byteLength > 0) sock.write(body);
      if (opts.endAfterWrite) sock.end();
    });
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      if (complete(Buffer.concat(chunks))) finish();
    });
    sock.on('error', () => finish()); // a reset counts as "closed"; what arrived is parsed
    sock.on('close', () => finish());
  });
}

function complete(buf: Buffer): boolean {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const r = parseRaw(buf);
  const cl = r.headers['content-length'];
  return cl !== undefined && r.body.byteLength >= Number(cl);
}

export function parseRaw(buf: Buffer): RawResponse {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: Buffer.alloc(0), raw: buf };
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers, body: buf.subarray(end + 4), raw: buf };
}

export interface AisErrorBody {
  tcode: string;
  message: string;
  status: number;
  method?: string;
  url_path?: string;
}

export function parseAisError(text: string | Buffer): AisErrorBody {
  const s = typeof text === 'string' ? text : text.toString('utf8');
  try {
    return JSON.parse(s) as AisErrorBody;
  } catch {
    throw new Error(`error body is not JSON: ${JSON.stringify(s.slice(0, 300))}`);
  }
}

/** A GET/DELETE/... request line with the path sent exactly as given (no normalization). */
export function rawHead(method: string, url: string, path: string, headers: Record<string, string> = {}): string {
  const u = new URL(url);
  const lines = [`${method} ${path} HTTP/1.1`, `Host: ${u.host}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
