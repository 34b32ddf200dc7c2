// The real Net: HTTP server adapters (node:http by default, uWS on request), undici for outgoing
// HTTP, WebSocket MsgSockets for node-to-node messaging.
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import type { HttpHandler, HttpServerOptions } from '../../http/types.ts';
import type { Listener, Net } from '../types.ts';
import { httpRequest } from './http-client.ts';
import { serveHttpNode } from './http-node.ts';
import { serveHttpUws } from './http-uws.ts';
import { connectMsg, listenMsg } from './ws.ts';

export type HttpAdapterName = 'node' | 'uws';

export interface RealNetOptions {
  /** Server adapter for serveHttp; 'uws' falls back to 'node' (with a warning) where uWS cannot run. */
  httpAdapter?: HttpAdapterName;
  /** Where adapter warnings go (default: process.emitWarning). */
  warn?: (message: string) => void;
}

export function realNet(opts: RealNetOptions = {}): Net {
  const adapter = opts.httpAdapter ?? 'node';
  if (adapter !== 'node' && adapter !== 'uws') {
    throw new ErrInvalidArgument(`unknown httpAdapter "${String(adapter)}"; use "node" or "uws"`);
  }
  return {
    serveHttp(host: string, port: number, handler: HttpHandler, serverOpts: HttpServerOptions): Promise<Listener> {
      if (adapter === 'uws') return serveHttpUws(host, port, handler, serverOpts, opts.warn);
      return serveHttpNode(host, port, handler, serverOpts);
    },
    request: httpRequest,
    listenMsg,
    connectMsg,
  };
}
