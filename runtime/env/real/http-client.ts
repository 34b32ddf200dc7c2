// Outgoing HTTP on undici (reverse proxy, health checks): one shared keep-alive Agent, no redirects
// followed (a 307 from a target is the caller's business), bodies streamed both ways.
import { Agent, request } from 'undici';
import type { HttpClientRequest, HttpClientResponse } from '../types.ts';

/** Connections kept per origin (host:port). */
export const HTTP_CLIENT_CONNECTIONS_PER_ORIGIN_MAX = 64;
/** An idle pooled connection is closed after this long (below node:http's 5 s server keep-alive). */
export const HTTP_CLIENT_KEEPALIVE_TIMEOUT_MS = 4_000;
/** Upper bound on a server-advertised keep-alive. */
export const HTTP_CLIENT_KEEPALIVE_TIMEOUT_MS_MAX = 60_000;
/** Waiting for response headers, and between body chunks, when the request names no timeoutMs. */
export const HTTP_CLIENT_TIMEOUT_MS_DEFAULT = 60_000;
export const HTTP_CLIENT_CONNECT_TIMEOUT_MS = 10_000;

let sharedAgent: Agent | undefined;

/** The process-wide agent (lazily made; real binding only, so a module-level pool is acceptable). */
export function httpClientAgent(): Agent {
  sharedAgent ??= new Agent({
    connections: HTTP_CLIENT_CONNECTIONS_PER_ORIGIN_MAX,
    keepAliveTimeout: HTTP_CLIENT_KEEPALIVE_TIMEOUT_MS,
    keepAliveMaxTimeout: HTTP_CLIENT_KEEPALIVE_TIMEOUT_MS_MAX,
    connect: { timeout: HTTP_CLIENT_CONNECT_TIMEOUT_MS, noDelay: true },
  });
  return sharedAgent;
}

/** Closes the shared agent's connections (tests, process shutdown). A later request makes a new one. */
export async function closeHttpClient(): Promise<void> {
  const agent = sharedAgent;
  sharedAgent = undefined;
  if (agent !== undefined) await agent.close();
}

export async function httpRequest(req: HttpClientRequest): Promise<HttpClientResponse> {
  const timeoutMs = req.timeoutMs ?? HTTP_CLIENT_TIMEOUT_MS_DEFAULT;
  const r = await request(req.url, {
    method: req.method.toUpperCase(),
    headers: req.headers,
    body: req.body,
    dispatcher: httpClientAgent(),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return { status: r.statusCode, headers: r.headers, body: r.body };
}
