// Our own request/response interface: handlers are written against this, not a server library, so
// node:http, uWebSockets.js and the simulator all drive the same code.
import type { Readable } from 'node:stream';
import type { MsgSocket } from '../env/types.ts';

export type Headers = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  readonly method: string; // upper-case
  /** Raw path (percent-encoded as sent). */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** Lower-case header names. */
  readonly headers: Headers;
  /** Body stream; ends at Content-Length, errors if the client goes away mid-body. */
  readonly body: Readable;
  readonly remoteAddr: string;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  /** Streamed with backpressure; a Readable that errors aborts the response. */
  body?: Uint8Array | string | Readable;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * WebSocket upgrades on the public port (the inspection UI's live feed): returns the socket's
 * handler for `rawPath`, or undefined to refuse the upgrade. Adapters without upgrade support ignore it.
 */
export type HttpUpgradeHandler = (rawPath: string) => ((sock: MsgSocket) => void) | undefined;

export interface HttpServerOptions {
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderSize: number;
  upgrade?: HttpUpgradeHandler;
}
