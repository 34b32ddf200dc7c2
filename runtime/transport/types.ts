// Intra-cluster messaging: msgpack envelopes over long-lived MsgSockets (WebSocket in production).
// Request/response correlation, timeouts, reconnect with back-off. Payload bytes travel as msgpack
// `bin` inside the body (Uint8Array fields), so binary data needs no base64.
import type { WireError } from '../../protocol/errors.ts';

export type MsgKind = string; // dotted, e.g. 'smap.push', 'lso.page', 'bck.create.begin'

export interface Envelope {
  /** 'q' request, 's' response, 'n' notification (no response). */
  t: 'q' | 's' | 'n';
  /** Correlation id (per connection, monotonically increasing) for 'q'/'s'. */
  id: number;
  k: MsgKind;
  /** Sender node id. */
  from: string;
  b?: unknown;
  e?: WireError;
}

export type RequestHandler = (body: unknown, from: string) => Promise<unknown>;

export interface RequestOptions {
  timeoutMs?: number;
}

/** One node's messaging endpoint: serves incoming requests and issues requests to peers by URL. */
export interface MsgEndpoint {
  /** Registers the handler of one message kind (one handler per kind). */
  handle(kind: MsgKind, handler: RequestHandler): void;
  /** Sends a request to the peer at `url` (ws://host:port) and resolves with its response body. */
  request<T = unknown>(url: string, kind: MsgKind, body: unknown, opts?: RequestOptions): Promise<T>;
  /** Fire-and-forget. */
  notify(url: string, kind: MsgKind, body: unknown): void;
  /** Starts listening on host:port (0 = any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}
