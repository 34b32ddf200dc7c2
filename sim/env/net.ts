// The simulated network of one world: HTTP handlers called directly (no sockets) and in-memory
// MsgSocket pairs. Every request, response, connect, frame and close is a scheduler event after a
// latency drawn from the world's 'net' PRNG stream; frames keep their order per connection (a
// WebSocket is a TCP stream). Partitions cut links between node sets.
import { Readable } from 'node:stream';
import type { HttpClientRequest, HttpClientResponse, Listener, MsgSocket, Net } from '../../runtime/env/types.ts';
import type { HttpHandler, HttpRequest, HttpResponse, HttpServerOptions } from '../../runtime/http/types.ts';
import type { Scheduler } from './scheduler.ts';
import type { SimRandom } from './random.ts';

/** One-way latency bounds of a link (uniform), a LAN. */
export const SIM_LATENCY_MS_MIN = 0.1;
export const SIM_LATENCY_MS_MAX = 1.0;
/** As the real client's default (runtime/env/real/http-client.ts). */
export const SIM_HTTP_TIMEOUT_MS_DEFAULT = 60_000;
/** The node id of requests made from outside the cluster (the workload's client). */
export const SIM_CLIENT_NODE = 'client';

/** A network error shaped like node's (`code`), so callers that check it behave as in production. */
export class SimNetError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
  }
}

interface HttpBinding {
  nodeId: string;
  handler: HttpHandler;
}

interface MsgBinding {
  nodeId: string;
  onConnection: (sock: MsgSocket, remote: string) => void;
  sockets: Set<SimMsgSocket>;
}

export interface SimNetworkOptions {
  sched: Scheduler;
  /** The world's network stream (latencies, later loss). */
  random: SimRandom;
  /** One-way latency of a message from `from` to `to`; default uniform [MIN, MAX). */
  latencyMs?: (from: string, to: string) => number;
  /** Link bandwidth: a message of n bytes takes n / bytesPerMs on top of the latency (default: none). */
  bytesPerMs?: number;
}

/** Bytes a body puts on the wire (a stream counts its declared content-length). */
function bodyBytes(body: Uint8Array | string | Readable | undefined, headers: Record<string, string | string[] | undefined> | undefined): number {
  if (body === undefined) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === 'content-length' && typeof v === 'string') return Number(v) || 0;
  return 0;
}

function addrKey(host: string, port: number): string {
  return `${host}:${port}`;
}

/** `http://host:port/path?q` → address key and request target. */
const SIMPLE_URL = /^(https?|wss?):\/\/([a-z0-9.-]+)(?::(\d+))?(?=[/?]|$)/;

function parseUrl(url: string): { key: string; target: string } {
  // fast path for the plain `http://host:port/...` every node uses (new URL() is a hot spot)
  const m = SIMPLE_URL.exec(url);
  const u = m ? undefined : new URL(url);
  const scheme = m ? `${m[1]}:` : u!.protocol;
  const hostname = m ? m[2]! : u!.hostname;
  const portText = m ? (m[3] ?? '') : u!.port;
  const port = portText !== '' ? Number(portText) : scheme === 'https:' || scheme === 'wss:' ? 443 : 80;
  const schemeEnd = url.indexOf('://');
  const pathStart = url.indexOf('/', schemeEnd + 3);
  const qStart = url.indexOf('?', schemeEnd + 3);
  let target = '/';
  if (pathStart >= 0 && (qStart < 0 || pathStart < qStart)) target = url.slice(pathStart);
  else if (qStart >= 0) target = '/' + url.slice(qStart);
  return { key: addrKey(hostname, port), target };
}

/** The whole content of bodies made from a buffer, so that a sim-side reader can skip the stream. */
const BUFFERED = new WeakMap<Readable, Buffer>();

/**
 * The bytes of a body stream made here from a buffer, the stream consumed (destroyed); undefined for
 * any other stream. Only for sim-side readers (the client): nodes read their streams as in production.
 */
export function takeBuffered(r: Readable): Buffer | undefined {
  const buf = BUFFERED.get(r);
  if (buf === undefined || r.readableDidRead) return undefined;
  BUFFERED.delete(r);
  r.destroy();
  return buf;
}

function toReadable(body: Uint8Array | string | Readable | undefined): Readable {
  if (body instanceof Readable) return body;
  const buf = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body); // a copy: the wire does not share memory
  const r = Readable.from(buf.byteLength > 0 ? [buf] : [], { objectMode: false });
  BUFFERED.set(r, buf);
  return r;
}

function bodyForbidden(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

export class SimNetwork {
  readonly sched: Scheduler;
  readonly random: SimRandom;
  readonly bytesPerMs: number;
  #latency: (from: string, to: string) => number;
  /** Current incarnation of each node (bumped by crash): events for an older one are dropped. */
  readonly #incarnation = new Map<string, number>();
  /** Per destination node: fail() of each HTTP exchange its handler has not answered yet. */
  readonly #inflight = new Map<string, Set<(err: Error) => void>>();
  readonly #http = new Map<string, HttpBinding>();
  readonly #msg = new Map<string, MsgBinding>();
  /** Cut links, as "a|b" with a < b. */
  readonly #cut = new Set<string>();
  readonly #live = new Set<SimMsgSocket>();
  /** HTTP requests delivered, frames delivered (stats). */
  httpRequests = 0;
  framesDelivered = 0;

  constructor(opts: SimNetworkOptions) {
    this.sched = opts.sched;
    this.random = opts.random;
    this.bytesPerMs = opts.bytesPerMs ?? Infinity;
    this.#latency = opts.latencyMs ?? (() => this.random.range(SIM_LATENCY_MS_MIN, SIM_LATENCY_MS_MAX));
  }

  latency(from: string, to: string): number {
    return this.#latency(from, to);
  }

  /** Latency plus the time `bytes` take on the link. */
  transferMs(from: string, to: string, bytes: number): number {
    return this.#latency(from, to) + bytes / this.bytesPerMs;
  }

  /** Replaces the latency distribution (fault profiles). */
  setLatency(fn: (from: string, to: string) => number): void {
    this.#latency = fn;
  }

  incarnationOf(nodeId: string): number {
    return this.#incarnation.get(nodeId) ?? 0;
  }

  /** Whether incarnation `inc` of `nodeId` is the live one (not crashed since). */
  alive(nodeId: string, inc: number): boolean {
    return this.incarnationOf(nodeId) === inc;
  }

  /**
   * Process crash of `nodeId`: its listeners vanish, its connections reset (peers see the close one
   * latency later, as a TCP RST), exchanges its handlers had not answered fail with ECONNRESET, and
   * nothing more is delivered to the old incarnation.
   */
  crash(nodeId: string): void {
    this.#incarnation.set(nodeId, this.incarnationOf(nodeId) + 1);
    for (const [k, b] of [...this.#http]) if (b.nodeId === nodeId) this.#http.delete(k);
    for (const [k, b] of [...this.#msg]) if (b.nodeId === nodeId) this.#msg.delete(k);
    for (const s of [...this.#live]) if (s.nodeId === nodeId || s.peer?.nodeId === nodeId) s.reset('connection reset (peer crashed)');
    const pending = this.#inflight.get(nodeId);
    this.#inflight.delete(nodeId);
    for (const fail of pending ?? []) fail(new SimNetError('ECONNRESET', `${nodeId} crashed`));
  }

  /** Live connections (in creation order: deterministic). */
  liveSockets(): SimMsgSocket[] {
    return [...this.#live].filter((s) => s.isOpen && s.peer !== undefined);
  }

  // --- partitions (hooks for the fault phase) ---

  /** Cuts every link between a node of `a` and a node of `b`; open connections across are closed. */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) if (x !== y) this.#cut.add(linkKey(x, y));
    for (const s of [...this.#live]) if (s.peer && !this.linkUp(s.nodeId, s.peer.nodeId)) s.reset('connection reset (partition)');
  }

  heal(): void {
    this.#cut.clear();
  }

  linkUp(a: string, b: string): boolean {
    return this.#cut.size === 0 || !this.#cut.has(linkKey(a, b));
  }

  /** The Net of one node: requests and connections it makes carry its id. */
  forNode(nodeId: string): Net {
    const inc = this.incarnationOf(nodeId);
    return {
      serveHttp: (host, port, handler, opts) => this.#serveHttp(nodeId, host, port, handler, opts),
      request: (req) => this.request(nodeId, req, inc),
      listenMsg: (host, port, onConnection) => this.#listenMsg(nodeId, host, port, onConnection),
      connectMsg: (url) => this.#connectMsg(nodeId, url, inc),
    };
  }

  /** Which node serves HTTP at `host:port` (undefined if none). */
  httpOwner(host: string, port: number): string | undefined {
    return this.#http.get(addrKey(host, port))?.nodeId;
  }

  async #serveHttp(nodeId: string, host: string, port: number, handler: HttpHandler, _opts: HttpServerOptions): Promise<Listener> {
    const key = addrKey(host, port);
    if (this.#http.has(key) || this.#msg.has(key)) throw new SimNetError('EADDRINUSE', `listen ${key}`);
    const binding: HttpBinding = { nodeId, handler };
    this.#http.set(key, binding);
    return {
      port,
      close: async () => {
        if (this.#http.get(key) === binding) this.#http.delete(key);
      },
    };
  }

  /** An HTTP exchange from node `from`: request after one latency, response after another. */
  request(from: string, req: HttpClientRequest, fromInc = this.incarnationOf(from)): Promise<HttpClientResponse> {
    return new Promise<HttpClientResponse>((resolveRaw, rejectRaw) => {
      // a crashed caller's memory is gone: nothing settles its promises any more
      const resolve = (r: HttpClientResponse): void => {
        if (this.alive(from, fromInc)) resolveRaw(r);
        else if (r.body instanceof Readable) r.body.destroy();
      };
      const reject = (e: Error): void => {
        if (this.alive(from, fromInc)) rejectRaw(e);
      };
      let parsed: { key: string; target: string };
      try {
        parsed = parseUrl(req.url);
      } catch (err) {
        reject(err as Error);
        return;
      }
      const method = req.method.toUpperCase();
      let settled = false;
      const timeoutMs = req.timeoutMs ?? SIM_HTTP_TIMEOUT_MS_DEFAULT;
      const timeout =
        timeoutMs > 0
          ? this.sched.after(timeoutMs, from, 'http.timeout', () => {
              if (settled) return;
              settled = true;
              reject(new SimNetError('UND_ERR_HEADERS_TIMEOUT', `${method} ${req.url}: no response in ${timeoutMs} ms`));
            })
          : undefined;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        if (timeout) this.sched.cancel(timeout);
        reject(err);
      };
      const dest = this.#http.get(parsed.key);
      const destNode = dest?.nodeId ?? parsed.key;
      this.sched.after(this.transferMs(from, destNode, bodyBytes(req.body, req.headers)), destNode, 'http.req', () => {
        const b = this.#http.get(parsed.key);
        if (b === undefined) return fail(new SimNetError('ECONNREFUSED', `connect ${parsed.key}`));
        if (!this.linkUp(from, b.nodeId)) return fail(new SimNetError('ECONNRESET', `${method} ${req.url}: link down`));
        this.httpRequests++;
        let inflight = this.#inflight.get(b.nodeId);
        if (inflight === undefined) this.#inflight.set(b.nodeId, (inflight = new Set()));
        const failLater = (err: Error): void => void this.sched.after(this.latency(b.nodeId, from), from, 'http.reset', () => fail(err));
        inflight.add(failLater);
        const destInc = this.incarnationOf(b.nodeId);
        const q = parsed.target.indexOf('?');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
        headers['host'] ??= parsed.key;
        const request: HttpRequest = {
          method,
          rawPath: q < 0 ? parsed.target : parsed.target.slice(0, q),
          query: new URLSearchParams(q < 0 ? '' : parsed.target.slice(q + 1)),
          headers,
          body: req.body instanceof Readable ? req.body : toReadable(req.body),
          remoteAddr: from,
        };
        const answer = (res: HttpResponse): void => {
          if (!this.alive(b.nodeId, destInc)) return; // answered by a crashed incarnation: never sent
          inflight.delete(failLater);
          this.sched.after(this.transferMs(b.nodeId, from, bodyBytes(res.body, res.headers)), from, 'http.res', () => {
            if (settled || !this.linkUp(from, b.nodeId)) {
              if (res.body instanceof Readable) res.body.destroy();
              return fail(new SimNetError('ECONNRESET', `${method} ${req.url}: link down`));
            }
            settled = true;
            if (timeout) this.sched.cancel(timeout);
            const out: Record<string, string | string[] | undefined> = {};
            for (const [k, v] of Object.entries(res.headers ?? {})) out[k.toLowerCase()] = v;
            let body = res.body;
            if (bodyForbidden(method, res.status)) {
              if (body instanceof Readable) body.destroy();
              body = undefined;
            } else if (body !== undefined && !(body instanceof Readable) && out['content-length'] === undefined) {
              out['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
            }
            resolve({ status: res.status, headers: out, body: toReadable(body) });
          }, res.status);
        };
        b.handler(request).then(answer, (err: unknown) => {
          // as the real adapter: a handler that throws is a 500 with an AIS-style body
          const message = err instanceof Error ? err.message : String(err);
          answer({ status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tcode: 'ErrInternal', message, status: 500 }) });
        });
      });
    });
  }

  async #listenMsg(nodeId: string, host: string, port: number, onConnection: (sock: MsgSocket, remote: string) => void): Promise<Listener> {
    const key = addrKey(host, port);
    if (this.#http.has(key) || this.#msg.has(key)) throw new SimNetError('EADDRINUSE', `listen ${key}`);
    const binding: MsgBinding = { nodeId, onConnection, sockets: new Set() };
    this.#msg.set(key, binding);
    return {
      port,
      close: async () => {
        if (this.#msg.get(key) !== binding) return;
        this.#msg.delete(key);
        for (const s of [...binding.sockets]) s.reset('listener closed');
      },
    };
  }

  #connectMsg(from: string, url: string, fromInc: number): MsgSocket {
    const client = new SimMsgSocket(this, from, fromInc);
    let key: string;
    try {
      key = parseUrl(url).key;
    } catch (err) {
      client.failConnect(err instanceof Error ? err.message : String(err), 0);
      return client;
    }
    const destNode = this.#msg.get(key)?.nodeId ?? key;
    const there = this.latency(from, destNode);
    this.sched.after(there, destNode, 'msg.connect', () => {
      const b = this.#msg.get(key);
      if (client.closed) return;
      if (b === undefined) return client.failConnect(`connect ECONNREFUSED ${key}`, this.latency(destNode, from));
      if (!this.linkUp(from, b.nodeId)) return client.failConnect(`connect ETIMEDOUT ${key}`, this.latency(b.nodeId, from));
      const server = new SimMsgSocket(this, b.nodeId, this.incarnationOf(b.nodeId));
      server.peer = client;
      client.peer = server;
      server.open = true;
      this.#live.add(server);
      this.#live.add(client);
      b.sockets.add(server);
      server.onClose(() => b.sockets.delete(server));
      // the client learns of the accept one latency later; frames the server sends meanwhile follow it
      const back = this.latency(b.nodeId, from);
      server.lastAtMs = this.sched.nowMs + back;
      this.sched.after(back, from, 'msg.open', () => client.opened());
      b.onConnection(server, `${from}:0`);
    });
    return client;
  }

  /** @internal */
  forget(s: SimMsgSocket): void {
    this.#live.delete(s);
  }
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** One end of an in-memory connection. */
export class SimMsgSocket implements MsgSocket {
  peer: SimMsgSocket | undefined;
  open = false;
  /** close() called or the connection went down (no more sends). */
  closed = false;
  /** onClose delivered (no more receives). */
  #closeFired = false;
  #closeReason: string | undefined;
  /** Delivery time of the last frame this end sent: the next one is not delivered before it. */
  lastAtMs = 0;
  readonly #onMessage: ((frame: Uint8Array) => void)[] = [];
  readonly #onClose: ((reason: string) => void)[] = [];
  readonly #onOpen: (() => void)[] = [];

  constructor(readonly net: SimNetwork, readonly nodeId: string, readonly inc = 0) {}

  /** This end belongs to a crashed incarnation: it hears nothing more. */
  get stale(): boolean {
    return !this.net.alive(this.nodeId, this.inc);
  }

  get isOpen(): boolean {
    return this.open && !this.closed;
  }

  send(frame: Uint8Array): void {
    const peer = this.peer;
    if (!this.isOpen || peer === undefined) return;
    if (!this.net.linkUp(this.nodeId, peer.nodeId)) return; // lost; the partition resets the connection
    const copy = Buffer.from(frame); // each delivered frame is a fresh buffer, as ws hands over
    const sched = this.net.sched;
    const atMs = Math.max(sched.nowMs + this.net.transferMs(this.nodeId, peer.nodeId, copy.byteLength), this.lastAtMs);
    this.lastAtMs = atMs;
    sched.at(atMs, peer.nodeId, 'msg', () => peer.receive(copy), copy.byteLength);
  }

  bufferedAmount(): number {
    return 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    if (peer === undefined) {
      // still connecting: the attempt is abandoned
      this.net.sched.after(0, this.nodeId, 'msg.close', () => this.fireClose('closed (1006)'));
      return;
    }
    // the close frame follows the data already sent; both ends see the close when it arrives
    const sched = this.net.sched;
    const atMs = Math.max(sched.nowMs + this.net.latency(this.nodeId, peer.nodeId), this.lastAtMs);
    this.lastAtMs = atMs;
    sched.at(atMs, peer.nodeId, 'msg.close', () => {
      peer.closed = true;
      peer.fireClose('1000 closed');
      this.fireClose('closed (1000)');
    });
  }

  /** Abrupt loss of the connection (listener closed, partition): both ends close now. */
  reset(reason: string): void {
    const peer = this.peer;
    this.closed = true;
    this.net.sched.after(0, this.nodeId, 'msg.reset', () => this.fireClose(reason));
    if (peer !== undefined && !peer.closed) {
      peer.closed = true;
      this.net.sched.after(0, peer.nodeId, 'msg.reset', () => peer.fireClose(reason));
    }
  }

  onMessage(cb: (frame: Uint8Array) => void): void {
    this.#onMessage.push(cb);
  }

  onClose(cb: (reason: string) => void): void {
    this.#onClose.push(cb);
    const reason = this.#closeReason;
    if (reason !== undefined) queueMicrotask(() => cb(reason));
  }

  onOpen(cb: () => void): void {
    this.#onOpen.push(cb);
    if (this.isOpen) queueMicrotask(() => cb());
  }

  /** @internal the accept reached us */
  opened(): void {
    if (this.closed || this.stale) return;
    this.open = true;
    for (const cb of [...this.#onOpen]) cb();
  }

  /** @internal the connect failed; onClose fires after `delayMs`. */
  failConnect(reason: string, delayMs: number): void {
    this.closed = true;
    this.net.sched.after(delayMs, this.nodeId, 'msg.refused', () => this.fireClose(reason));
  }

  /** @internal */
  receive(frame: Uint8Array): void {
    if (this.#closeFired || this.stale) return;
    this.net.framesDelivered++;
    for (const cb of [...this.#onMessage]) cb(frame);
  }

  /** @internal */
  fireClose(reason: string): void {
    if (this.#closeFired) return;
    this.#closeFired = true;
    this.closed = true;
    this.open = false;
    this.#closeReason = reason;
    this.net.forget(this);
    if (this.stale) return;
    for (const cb of [...this.#onClose]) cb(reason);
  }
}
