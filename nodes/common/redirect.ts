// Object requests at a proxy: 307 to the HRW target (AIS prxred.go), or relayed when the
// reverse-proxy feature is on for clients that do not follow redirects.
import type { Env } from '../../runtime/env/types.ts';
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import type { Snode } from '../../protocol/smap.ts';

/** Hop-by-hop headers are never relayed (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'expect']);
export const REVERSE_PROXY_TIMEOUT_MS = 300_000;

/** Query parameter with the Smap version a request was routed by (a Shoal addition to pid/utm). */
export const QPARAM_SMAP_VERSION = 'smap_ver';

/**
 * `Location: <target-url><path>?<orig query>&pid=<proxy id>&utm=<unix ns>&smap_ver=<v>`: the target
 * learns which Smap chose it, so one that is behind waits for it instead of answering by an older one.
 */
export function redirectUrl(target: Snode, req: HttpRequest, proxyId: string, nowNs: bigint, smapVersion: number): string {
  const q = new URLSearchParams(req.query);
  q.set('pid', proxyId);
  q.set('utm', String(nowNs));
  q.set(QPARAM_SMAP_VERSION, String(smapVersion));
  return `${target.public_net.direct_url}${req.rawPath}?${q.toString()}`;
}

export function redirectResponse(location: string): HttpResponse {
  return { status: 307, headers: { location, 'content-length': '0' } };
}

export async function relay(env: Env, req: HttpRequest, url: string, body?: Uint8Array): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  const hasBody = body !== undefined || (req.method !== 'GET' && req.method !== 'HEAD') || headers['content-length'] !== undefined;
  const res = await env.net.request({
    method: req.method,
    url,
    headers,
    body: body ?? (hasBody ? req.body : undefined),
    timeoutMs: REVERSE_PROXY_TIMEOUT_MS,
  });
  // HEAD (and 204/304) replies have no body to relay: drain undici's so the connection is reused.
  if (req.method === 'HEAD' || res.status === 204 || res.status === 304) {
    res.body.on('error', () => {});
    res.body.resume();
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  const bodiless = req.method === 'HEAD' || res.status === 204 || res.status === 304;
  return { status: res.status, headers: out, body: bodiless ? undefined : res.body };
}
