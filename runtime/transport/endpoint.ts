// A node's messaging endpoint: msgpack Envelopes over MsgSockets from env.net. One lazily opened,
// reused connection per peer URL; requests queue (bounded) while it connects or while the socket is
// congested; a dropped connection fails its in-flight requests (callers decide about retries) and is
// reopened on demand after an exponential back-off with jitter. Time comes only from env.timers/clock.
import {
  ErrInvalidArgument,
  ErrNotReady,
  ErrPeerUnreachable,
  ErrTimeout,
  ErrUnknownAction,
  ShoalError,
  assert,
  errorFromWire,
  errorToWire,
} from '../../protocol/errors.ts';
import type { Env, Listener, Logger, MsgSocket, TimerHandle } from '../env/types.ts';
import { FRAME_SIZE_MAX_BYTES, decodeEnvelope, encodeEnvelope } from './codec.ts';
import type { Envelope, MsgEndpoint, MsgKind, RequestHandler, RequestOptions } from './types.ts';

/** Requests (and notifications) waiting per peer for a connection or for the socket to drain. */
export const PENDING_REQUESTS_MAX = 1_024;
/** Requests sent and not yet answered per peer connection (the send window). */
export const INFLIGHT_REQUESTS_MAX = 256;
export const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;
export const REQUEST_TIMEOUT_MS_MAX = 3_600_000;
export const CONNECT_TIMEOUT_MS = 5_000;
export const RECONNECT_BACKOFF_MS_MIN = 100;
export const RECONNECT_BACKOFF_MS_MAX = 5_000;
/** Above this many bytes queued in a socket, sending waits for it to drain. */
export const SEND_BUFFERED_BYTES_HIGH = 8 * 1024 * 1024;
/** How often a congested peer queue re-checks the socket's buffered amount. */
export const SEND_DRAIN_POLL_MS = 2;

export interface MsgEndpointOptions {
  nodeId: string;
  requestTimeoutMsDefault?: number;
  connectTimeoutMs?: number;
  reconnectBackoffMsMin?: number;
  reconnectBackoffMsMax?: number;
  pendingRequestsMax?: number;
  inflightRequestsMax?: number;
  sendBufferedBytesHigh?: number;
}

interface Pending {
  kind: MsgKind;
  url: string;
  resolve(body: unknown): void;
  reject(err: ShoalError): void;
  timer: TimerHandle;
}

/** A message waiting to be sent: a request (with its pending entry) or a notification. */
interface Outgoing {
  t: 'q' | 'n';
  k: MsgKind;
  b: unknown;
  pending?: Pending;
}

interface Peer {
  readonly url: string;
  sock: MsgSocket | undefined;
  /** The socket has opened (and not closed since). */
  open: boolean;
  readonly queue: Outgoing[];
  readonly inflight: Map<number, Pending>;
  nextId: number;
  /** Consecutive failed connects or drops since the last successful open. */
  failures: number;
  /** Earliest monotonic time of the next connect attempt. */
  retryAtMs: number;
  connectTimer: TimerHandle | undefined;
  retryTimer: TimerHandle | undefined;
  drainTimer: TimerHandle | undefined;
}

export function createMsgEndpoint(env: Env, opts: MsgEndpointOptions): MsgEndpoint {
  return new Endpoint(env, opts);
}

class Endpoint implements MsgEndpoint {
  readonly #env: Env;
  readonly #log: Logger;
  readonly #nodeId: string;
  readonly #timeoutMsDefault: number;
  readonly #connectTimeoutMs: number;
  readonly #backoffMsMin: number;
  readonly #backoffMsMax: number;
  readonly #pendingMax: number;
  readonly #inflightMax: number;
  readonly #bufferedHigh: number;
  readonly #handlers = new Map<MsgKind, RequestHandler>();
  readonly #peers = new Map<string, Peer>();
  readonly #incoming = new Set<MsgSocket>();
  #listener: Listener | undefined;
  #listening = false;
  #closed = false;

  constructor(env: Env, opts: MsgEndpointOptions) {
    const positive = (name: string, v: number | undefined, dflt: number): number => {
      const x = v ?? dflt;
      if (!Number.isFinite(x) || x <= 0) throw new ErrInvalidArgument(`option "${name}" must be a positive number, got ${String(v)}`);
      return x;
    };
    if (opts.nodeId === '') throw new ErrInvalidArgument('option "nodeId" must not be empty');
    this.#env = env;
    this.#nodeId = opts.nodeId;
    this.#log = env.log.child({ actor: 'transport' });
    this.#timeoutMsDefault = positive('requestTimeoutMsDefault', opts.requestTimeoutMsDefault, REQUEST_TIMEOUT_MS_DEFAULT);
    this.#connectTimeoutMs = positive('connectTimeoutMs', opts.connectTimeoutMs, CONNECT_TIMEOUT_MS);
    this.#backoffMsMin = positive('reconnectBackoffMsMin', opts.reconnectBackoffMsMin, RECONNECT_BACKOFF_MS_MIN);
    this.#backoffMsMax = positive('reconnectBackoffMsMax', opts.reconnectBackoffMsMax, RECONNECT_BACKOFF_MS_MAX);
    this.#pendingMax = positive('pendingRequestsMax', opts.pendingRequestsMax, PENDING_REQUESTS_MAX);
    this.#inflightMax = positive('inflightRequestsMax', opts.inflightRequestsMax, INFLIGHT_REQUESTS_MAX);
    this.#bufferedHigh = positive('sendBufferedBytesHigh', opts.sendBufferedBytesHigh, SEND_BUFFERED_BYTES_HIGH);
    if (this.#backoffMsMin > this.#backoffMsMax) {
      throw new ErrInvalidArgument('"reconnectBackoffMsMin" must not exceed "reconnectBackoffMsMax"');
    }
  }

  handle(kind: MsgKind, handler: RequestHandler): void {
    if (this.#handlers.has(kind)) throw new ErrInvalidArgument(`a handler for "${kind}" is already registered`);
    this.#handlers.set(kind, handler);
  }

  request<T = unknown>(url: string, kind: MsgKind, body: unknown, opts: RequestOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#closed) {
        reject(new ErrNotReady(`messaging endpoint of ${this.#nodeId} is closed`));
        return;
      }
      const timeoutMs = opts.timeoutMs ?? this.#timeoutMsDefault;
      if (!(timeoutMs > 0 && timeoutMs <= REQUEST_TIMEOUT_MS_MAX)) {
        reject(new ErrInvalidArgument(`request timeout ${timeoutMs} ms is out of (0, ${REQUEST_TIMEOUT_MS_MAX}]`));
        return;
      }
      const peer = this.#peer(url);
      if (peer.queue.length >= this.#pendingMax) {
        reject(new ErrNotReady(`too many requests (${this.#pendingMax}) waiting to be sent to ${url}`));
        return;
      }
      const out: Outgoing = { t: 'q', k: kind, b: body };
      const pending: Pending = {
        kind,
        url,
        resolve: (b) => resolve(b as T),
        reject,
        // The timeout covers connecting and waiting in the queue, not only the round trip.
        timer: this.#env.timers.setTimeout(() => this.#onTimeout(peer, out, timeoutMs), timeoutMs),
      };
      out.pending = pending;
      peer.queue.push(out);
      this.#pump(peer);
    });
  }

  notify(url: string, kind: MsgKind, body: unknown): void {
    if (this.#closed) return;
    const peer = this.#peer(url);
    if (peer.queue.length >= this.#pendingMax) {
      this.#log.warn({ url, kind }, 'notification dropped: peer queue full');
      return;
    }
    peer.queue.push({ t: 'n', k: kind, b: body });
    this.#pump(peer);
  }

  async listen(host: string, port: number): Promise<number> {
    if (this.#closed) throw new ErrNotReady(`messaging endpoint of ${this.#nodeId} is closed`);
    if (this.#listening) throw new ErrInvalidArgument('endpoint is already listening');
    this.#listening = true;
    let listener: Listener;
    try {
      listener = await this.#env.net.listenMsg(host, port, (sock, remote) => this.#onIncoming(sock, remote));
    } catch (err) {
      this.#listening = false;
      throw err;
    }
    if (this.#closed) {
      await listener.close();
      throw new ErrNotReady(`messaging endpoint of ${this.#nodeId} closed while starting to listen`);
    }
    this.#listener = listener;
    return listener.port;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const why = `messaging endpoint of ${this.#nodeId} closed`;
    for (const peer of this.#peers.values()) {
      this.#clearTimers(peer);
      const sock = peer.sock;
      peer.sock = undefined;
      peer.open = false;
      this.#failAll(peer, () => new ErrNotReady(why));
      sock?.close();
    }
    this.#peers.clear();
    for (const sock of this.#incoming) sock.close();
    this.#incoming.clear();
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener !== undefined) await listener.close();
  }

  // --- outgoing ---

  #peer(url: string): Peer {
    let peer = this.#peers.get(url);
    if (peer === undefined) {
      peer = {
        url,
        sock: undefined,
        open: false,
        queue: [],
        inflight: new Map(),
        nextId: 1,
        failures: 0,
        retryAtMs: 0,
        connectTimer: undefined,
        retryTimer: undefined,
        drainTimer: undefined,
      };
      this.#peers.set(url, peer);
    }
    return peer;
  }

  /** Moves the peer forward: connect if needed, else send what the window and the socket allow. */
  #pump(peer: Peer): void {
    if (this.#closed || peer.queue.length === 0) return;
    if (peer.sock === undefined) {
      this.#connectSoon(peer);
      return;
    }
    if (!peer.open) return; // connecting: onOpen pumps
    const sock = peer.sock;
    while (peer.queue.length > 0) {
      if (sock.bufferedAmount() > this.#bufferedHigh) {
        this.#pollDrain(peer);
        return;
      }
      const head = peer.queue[0];
      assert(head !== undefined, 'queue head');
      if (head.t === 'q' && peer.inflight.size >= this.#inflightMax) return; // a response pumps
      peer.queue.shift();
      this.#send(peer, sock, head);
    }
  }

  #send(peer: Peer, sock: MsgSocket, out: Outgoing): void {
    const id = out.t === 'q' ? peer.nextId++ : 0;
    let frame: Uint8Array;
    try {
      frame = encodeEnvelope({ t: out.t, id, k: out.k, from: this.#nodeId, b: out.b });
    } catch (err) {
      this.#settleLocal(out, new ErrInvalidArgument(`cannot encode "${out.k}": ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    if (frame.byteLength > FRAME_SIZE_MAX_BYTES) {
      this.#settleLocal(out, new ErrInvalidArgument(`message "${out.k}" is ${frame.byteLength} bytes, above the frame limit ${FRAME_SIZE_MAX_BYTES}`));
      return;
    }
    if (out.pending !== undefined) peer.inflight.set(id, out.pending);
    sock.send(frame);
  }

  /** Fails a message that never reached the wire (its pending entry, if any, is not in flight). */
  #settleLocal(out: Outgoing, err: ShoalError): void {
    if (out.pending === undefined) {
      this.#log.warn({ kind: out.k, err: err.message }, 'notification dropped');
      return;
    }
    this.#env.timers.clearTimeout(out.pending.timer);
    out.pending.reject(err);
  }

  #pollDrain(peer: Peer): void {
    if (peer.drainTimer !== undefined) return;
    peer.drainTimer = this.#env.timers.setTimeout(() => {
      peer.drainTimer = undefined;
      this.#pump(peer);
    }, SEND_DRAIN_POLL_MS);
  }

  #backoffMs(failures: number): number {
    if (failures === 0) return 0;
    const ceiling = Math.min(this.#backoffMsMax, this.#backoffMsMin * 2 ** Math.min(failures - 1, 30));
    // Half fixed, half jitter, so that peers restarting together do not reconnect in lockstep.
    return ceiling / 2 + this.#env.random.float() * (ceiling / 2);
  }

  #connectSoon(peer: Peer): void {
    if (peer.retryTimer !== undefined) return;
    const waitMs = peer.retryAtMs - this.#env.clock.monotonicMs();
    if (waitMs <= 0) {
      this.#connect(peer);
      return;
    }
    peer.retryTimer = this.#env.timers.setTimeout(() => {
      peer.retryTimer = undefined;
      if (!this.#closed && peer.sock === undefined && peer.queue.length > 0) this.#connect(peer);
    }, waitMs);
  }

  #connect(peer: Peer): void {
    assert(peer.sock === undefined, 'connect with a socket already there');
    const sock = this.#env.net.connectMsg(peer.url);
    peer.sock = sock;
    peer.open = false;
    peer.connectTimer = this.#env.timers.setTimeout(() => {
      peer.connectTimer = undefined;
      if (peer.sock === sock && !peer.open) {
        this.#onDrop(peer, sock, `connect timed out after ${this.#connectTimeoutMs} ms`);
        sock.close();
      }
    }, this.#connectTimeoutMs);
    sock.onOpen(() => {
      if (peer.sock !== sock || this.#closed) return;
      this.#clearConnectTimer(peer);
      peer.open = true;
      peer.failures = 0;
      peer.retryAtMs = 0;
      this.#log.debug({ url: peer.url }, 'peer connected');
      this.#pump(peer);
    });
    sock.onMessage((frame) => this.#onFrame(sock, frame, peer));
    sock.onClose((reason) => {
      if (peer.sock === sock) this.#onDrop(peer, sock, reason);
    });
  }

  #onDrop(peer: Peer, sock: MsgSocket, reason: string): void {
    assert(peer.sock === sock, 'drop of a stale socket');
    const wasOpen = peer.open;
    peer.sock = undefined;
    peer.open = false;
    this.#clearTimers(peer);
    peer.failures += 1;
    peer.retryAtMs = this.#env.clock.monotonicMs() + this.#backoffMs(peer.failures);
    const message = wasOpen
      ? `connection to ${peer.url} dropped: ${reason}`
      : `cannot connect to ${peer.url}: ${reason}`;
    this.#log.debug({ url: peer.url, failures: peer.failures, reason }, wasOpen ? 'peer connection dropped' : 'peer connect failed');
    // In-flight requests may or may not have run on the peer: fail them, the caller decides.
    for (const p of peer.inflight.values()) {
      this.#env.timers.clearTimeout(p.timer);
      p.reject(new ErrPeerUnreachable(`${message} (request "${p.kind}" in flight)`));
    }
    peer.inflight.clear();
    // Queued messages never left: after a failed connect they fail too (one attempt per request);
    // after a drop of an open connection, what was still queued waits for the reconnect.
    if (!wasOpen) this.#failQueued(peer, () => new ErrPeerUnreachable(message));
    else this.#pump(peer);
  }

  #failQueued(peer: Peer, makeErr: () => ShoalError): void {
    const queued = peer.queue.splice(0, peer.queue.length);
    for (const out of queued) {
      if (out.pending !== undefined) this.#settleLocal(out, makeErr());
    }
  }

  #failAll(peer: Peer, makeErr: () => ShoalError): void {
    for (const p of peer.inflight.values()) {
      this.#env.timers.clearTimeout(p.timer);
      p.reject(makeErr());
    }
    peer.inflight.clear();
    this.#failQueued(peer, makeErr);
  }

  #onTimeout(peer: Peer, out: Outgoing, timeoutMs: number): void {
    const pending = out.pending;
    assert(pending !== undefined, 'timeout of a notification');
    const err = new ErrTimeout(`request "${pending.kind}" to ${pending.url} timed out after ${timeoutMs} ms`);
    const at = peer.queue.indexOf(out);
    if (at >= 0) {
      peer.queue.splice(at, 1);
      pending.reject(err);
      return;
    }
    for (const [id, p] of peer.inflight) {
      if (p === pending) {
        peer.inflight.delete(id); // a late response with this id is dropped
        pending.reject(err);
        this.#pump(peer); // the window has room again
        return;
      }
    }
  }

  #clearConnectTimer(peer: Peer): void {
    if (peer.connectTimer !== undefined) this.#env.timers.clearTimeout(peer.connectTimer);
    peer.connectTimer = undefined;
  }

  #clearTimers(peer: Peer): void {
    this.#clearConnectTimer(peer);
    if (peer.retryTimer !== undefined) this.#env.timers.clearTimeout(peer.retryTimer);
    peer.retryTimer = undefined;
    if (peer.drainTimer !== undefined) this.#env.timers.clearTimeout(peer.drainTimer);
    peer.drainTimer = undefined;
  }

  // --- incoming (on both accepted and dialed sockets) ---

  #onIncoming(sock: MsgSocket, remote: string): void {
    if (this.#closed) {
      sock.close();
      return;
    }
    this.#incoming.add(sock);
    sock.onMessage((frame) => this.#onFrame(sock, frame));
    sock.onClose((reason) => {
      this.#incoming.delete(sock);
      this.#log.debug({ remote, reason }, 'incoming connection closed');
    });
  }

  /** `peer` is set for sockets we dialed: only those carry responses to our requests. */
  #onFrame(sock: MsgSocket, frame: Uint8Array, peer?: Peer): void {
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(frame);
    } catch (err) {
      this.#log.warn({ err: err instanceof Error ? err.message : String(err), bytes: frame.byteLength }, 'bad frame dropped');
      return;
    }
    if (envelope.t === 's') this.#onResponse(sock, envelope, peer);
    else this.#dispatch(sock, envelope);
  }

  #onResponse(sock: MsgSocket, envelope: Envelope, peer: Peer | undefined): void {
    const pending = peer !== undefined && peer.sock === sock ? peer.inflight.get(envelope.id) : undefined;
    if (peer === undefined || pending === undefined) {
      this.#log.debug({ id: envelope.id, kind: envelope.k }, 'late or unknown response dropped');
      return;
    }
    peer.inflight.delete(envelope.id);
    this.#env.timers.clearTimeout(pending.timer);
    if (envelope.e !== undefined && envelope.e !== null) pending.reject(errorFromWire(envelope.e));
    else pending.resolve(envelope.b);
    this.#pump(peer);
  }

  #dispatch(sock: MsgSocket, envelope: Envelope): void {
    const handler = this.#handlers.get(envelope.k);
    if (handler === undefined) {
      this.#log.warn({ kind: envelope.k, from: envelope.from }, 'message of unknown kind');
      if (envelope.t === 'q') this.#reply(sock, envelope, undefined, new ErrUnknownAction(`node ${this.#nodeId} has no handler for "${envelope.k}"`));
      return;
    }
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(handler(envelope.b, envelope.from));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (b) => {
        if (envelope.t === 'q') this.#reply(sock, envelope, b, undefined);
      },
      (err: unknown) => {
        if (envelope.t === 'q') this.#reply(sock, envelope, undefined, err);
        else this.#log.warn({ kind: envelope.k, from: envelope.from, err: errorToWire(err).message }, 'notification handler failed');
      },
    );
  }

  #reply(sock: MsgSocket, request: Envelope, body: unknown, err: unknown): void {
    if (!sock.isOpen) return; // the requester sees the drop
    const envelope: Envelope = err === undefined
      ? { t: 's', id: request.id, k: request.k, from: this.#nodeId, b: body }
      : { t: 's', id: request.id, k: request.k, from: this.#nodeId, e: errorToWire(err) };
    let frame: Uint8Array;
    try {
      frame = encodeEnvelope(envelope);
    } catch (encodeErr) {
      frame = encodeEnvelope({ t: 's', id: request.id, k: request.k, from: this.#nodeId, e: errorToWire(encodeErr) });
    }
    if (frame.byteLength > FRAME_SIZE_MAX_BYTES) {
      const tooBig = new ErrInvalidArgument(`response to "${request.k}" is ${frame.byteLength} bytes, above the frame limit ${FRAME_SIZE_MAX_BYTES}`);
      frame = encodeEnvelope({ t: 's', id: request.id, k: request.k, from: this.#nodeId, e: errorToWire(tooBig) });
    }
    sock.send(frame);
  }
}
