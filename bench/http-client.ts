// A plain node:http client that behaves like an AIS SDK: it follows the proxy's 307 to the owning
// target (both hops count in the caller's latency), and PUTs with `Expect: 100-continue` so the body
// travels only to the target.
import http from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const REDIRECTS_MAX = 5;
export const REQUEST_TIMEOUT_MS = 60_000;
/** Bodies kept in memory (control replies, listing pages) are capped; object bodies are only counted. */
export const COLLECT_BYTES_MAX = 256 * 1024 ** 2;

export type BodySource = Buffer | (() => Readable);

export interface SendOptions {
  headers?: Record<string, string>;
  body?: BodySource;
  /** Required with a stream body; defaults to the buffer's length. */
  bodyBytes?: number;
  expectContinue?: boolean;
  /** Keep the response body (control requests); otherwise it is drained and counted. */
  collect?: boolean;
  /** Keep the body of an error reply (status ≥ 400) only: the AIS error JSON names the node and tcode. */
  collectErrors?: boolean;
}

export interface SendResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  body: Buffer;
  redirects: number;
}

type Attempt = { redirect: URL } | { final: SendResult };

export class HttpClient {
  readonly #agent: http.Agent;
  readonly #timeoutMs: number;

  constructor(opts: { maxSockets: number; timeoutMs?: number }) {
    this.#agent = new http.Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets,
      maxFreeSockets: opts.maxSockets,
      scheduling: 'lifo',
    });
    this.#timeoutMs = opts.timeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  async send(method: string, url: string | URL, opts: SendOptions = {}): Promise<SendResult> {
    let target = new URL(url);
    for (let redirects = 0; redirects <= REDIRECTS_MAX; redirects++) {
      const a = await this.#attempt(method, target, opts);
      if ('final' in a) return { ...a.final, redirects };
      target = a.redirect;
    }
    throw new Error(`${method} ${url}: more than ${REDIRECTS_MAX} redirects`);
  }

  close(): void {
    this.#agent.destroy();
  }

  #attempt(method: string, url: URL, opts: SendOptions): Promise<Attempt> {
    return new Promise<Attempt>((resolve, reject) => {
      let settled = false;
      let bodySent = false;
      const body = opts.body;
      const headers: Record<string, string> = { ...opts.headers };
      if (body !== undefined) {
        const n = Buffer.isBuffer(body) ? body.length : opts.bodyBytes;
        if (n === undefined) throw new Error('a stream body needs bodyBytes');
        headers['content-length'] = String(n);
        if (opts.expectContinue) headers['expect'] = '100-continue';
      }
      const req = http.request(url, { method, agent: this.#agent, headers, timeout: this.#timeoutMs });
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(err);
      };
      req.on('error', fail);
      req.on('timeout', () => fail(new Error(`${method} ${url.pathname}: no answer in ${this.#timeoutMs} ms`)));
      const sendBody = (): void => {
        if (bodySent || body === undefined) return;
        bodySent = true;
        if (Buffer.isBuffer(body)) req.end(body);
        else pipeline(body(), req).catch((err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
      };
      req.on('continue', sendBody);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location !== undefined) {
          res.resume();
          settled = true;
          // The body never went out: the connection's framing is unknown, so do not reuse it.
          if (body !== undefined && !bodySent) req.destroy();
          resolve({ redirect: new URL(location, url) });
          return;
        }
        let bytes = 0;
        const chunks: Buffer[] = [];
        const keep = opts.collect === true || (opts.collectErrors === true && status >= 400);
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (keep && bytes <= COLLECT_BYTES_MAX) chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('aborted', () => fail(new Error(`${method} ${url.pathname}: response aborted`)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          if (body !== undefined && !bodySent) req.destroy();
          resolve({ final: { status, headers: res.headers, bytes, body: Buffer.concat(chunks), redirects: 0 } });
        });
      });
      if (body === undefined) req.end();
      else if (opts.expectContinue) req.flushHeaders();
      else sendBody();
    });
  }
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Control call that must succeed: throws with the server's message otherwise. */
export async function mustSend(client: HttpClient, method: string, url: string, opts: SendOptions = {}): Promise<SendResult> {
  const r = await client.send(method, url, { ...opts, collect: true });
  if (!isOk(r.status)) {
    throw new Error(`${method} ${url} → ${r.status}: ${r.body.toString('utf8').slice(0, 500)}`);
  }
  return r;
}

export function jsonBody(value: unknown): SendOptions {
  return { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(value)) };
}
