// node:http server adapter: binds our HttpHandler (runtime/http/types.ts) to node:http. The default
// adapter: it answers HTTP/1.0, malformed requests (400) and oversized headers (431) properly.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { Readable, pipeline } from 'node:stream';
import type { HttpHandler, HttpRequest, HttpResponse, HttpServerOptions } from '../../http/types.ts';
import type { Listener } from '../types.ts';
import { WebSocketServer } from 'ws';
import { WsMsgSocket } from './ws.ts';

/** Largest frame a browser may send on an upgraded public-port socket (the UI sends none). */
export const HTTP_UPGRADE_PAYLOAD_BYTES_MAX = 64 * 1024;

/** Headers are never allowed to take longer than this, even when requestTimeoutMs is larger. */
export const HTTP_HEADERS_TIMEOUT_MS_MAX = 60_000;
/** On close, in-flight requests get this long to finish before their connections are cut. */
export const HTTP_CLOSE_GRACE_MS = 2_000;
/** After answering a malformed request, the client gets this long to read the answer and close. */
export const HTTP_CLIENT_ERROR_LINGER_MS = 1_000;

/** AIS-style JSON error body; used where no handler (and so no frontend error mapping) is involved. */
export function errorBodyJson(tcode: string, message: string, status: number): string {
  return JSON.stringify({ tcode, message, status });
}

/** Splits a request target into the raw (still percent-encoded) path and its query. */
export function splitTarget(target: string): { rawPath: string; query: URLSearchParams } {
  let t = target;
  // Absolute-form (`GET http://host/path`, sent to proxies): keep only the path part.
  if (!t.startsWith('/')) {
    const schemeEnd = t.indexOf('://');
    if (schemeEnd >= 0) {
      const pathStart = t.indexOf('/', schemeEnd + 3);
      const queryStart = t.indexOf('?', schemeEnd + 3);
      if (pathStart < 0 || (queryStart >= 0 && queryStart < pathStart)) {
        t = '/' + (queryStart >= 0 ? t.slice(queryStart) : '');
      } else {
        t = t.slice(pathStart);
      }
    }
  }
  const q = t.indexOf('?');
  if (q < 0) return { rawPath: t, query: new URLSearchParams() };
  return { rawPath: t.slice(0, q), query: new URLSearchParams(t.slice(q + 1)) };
}

/** Statuses (and HEAD) after which HTTP forbids a body. */
export function bodyForbidden(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

export async function serveHttpNode(
  host: string,
  port: number,
  handler: HttpHandler,
  opts: HttpServerOptions,
): Promise<Listener> {
  const server = http.createServer({
    // Passed explicitly: node's 300 s default requestTimeout kills long uploads.
    requestTimeout: opts.requestTimeoutMs,
    headersTimeout: opts.requestTimeoutMs > 0
      ? Math.min(HTTP_HEADERS_TIMEOUT_MS_MAX, opts.requestTimeoutMs)
      : HTTP_HEADERS_TIMEOUT_MS_MAX,
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    maxHeaderSize: opts.maxHeaderSize,
    noDelay: true,
  });

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void serveOne(handler, req, res);
  });
  // `Expect: 100-continue`: answer 100 only once the handler starts reading the body. A proxy that
  // redirects (307) never reads it, so the client sends the body only to the target.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    let continued = false;
    const sendContinue = (): void => {
      if (continued || res.headersSent || res.destroyed) return;
      continued = true;
      res.writeContinue();
    };
    req.on('newListener', (event: string) => {
      if (event === 'data' || event === 'readable') sendContinue();
    });
    req.once('resume', sendContinue);
    awaitingContinue.set(req, () => !continued);
    void serveOne(handler, req, res);
  });
  server.on('clientError', onClientError);
  const upgraded = opts.upgrade ? acceptUpgrades(server, opts.upgrade) : undefined;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // A late server error (e.g. EMFILE on accept) must not crash the process.
  server.on('error', () => {});

  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        // Upgraded sockets are not HTTP connections: server.close() would wait for them forever.
        for (const s of upgraded ?? []) s.terminate();
        const grace = setTimeout(() => server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
        grace.unref();
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        // Idle keep-alive connections would otherwise hold close() until their timeout.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/** WebSocket upgrades through `ws` (noServer); returns the live sockets, for close(). */
function acceptUpgrades(server: http.Server, upgrade: NonNullable<HttpServerOptions['upgrade']>): Set<WsMsgSocket> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: HTTP_UPGRADE_PAYLOAD_BYTES_MAX });
  const live = new Set<WsMsgSocket>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const onSocket = upgrade(splitTarget(req.url ?? '/').rawPath);
    if (onSocket === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sock = new WsMsgSocket(ws);
      live.add(sock);
      sock.onClose(() => live.delete(sock));
      onSocket(sock);
    });
  });
  return live;
}

/** Requests that asked for `100 Continue`: whether the body is still unsent (never asked for). */
const awaitingContinue = new WeakMap<http.IncomingMessage, () => boolean>();

async function serveOne(handler: HttpHandler, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const { rawPath, query } = splitTarget(req.url ?? '/');
  const request: HttpRequest = {
    method,
    rawPath,
    query,
    headers: req.headers,
    body: req,
    remoteAddr: req.socket.remoteAddress ?? '',
  };
  let response: HttpResponse;
  try {
    response = await handler(request);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    response = {
      status: 500,
      headers: { 'content-type': 'application/json' },
      body: errorBodyJson('ErrInternal', message, 500),
    };
  }
  writeResponse(method, req, res, response);
}

/** Drops a body we will not send; a relayed (undici) body errors on destroy, which must not crash us. */
function discard(body: HttpResponse['body']): void {
  if (!(body instanceof Readable)) return;
  body.on('error', () => {});
  body.destroy();
}

function writeResponse(method: string, req: http.IncomingMessage, res: http.ServerResponse, r: HttpResponse): void {
  if (res.destroyed || res.writableEnded) {
    discard(r.body);
    return;
  }
  res.statusCode = r.status;
  // The client never sent its body (no 100 Continue): this connection cannot carry another request.
  if (awaitingContinue.get(req)?.() === true) res.setHeader('connection', 'close');
  for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, value);
  const body = r.body;
  if (body === undefined || bodyForbidden(method, r.status)) {
    discard(body);
    res.end();
    return;
  }
  if (!(body instanceof Readable)) {
    res.end(body);
    return;
  }
  pipeline(body, res, (err) => {
    // A source that fails mid-body must not look like a clean end: cut the connection so the
    // client sees a truncated response. (pipeline already destroyed both streams.)
    if (err) req.socket.destroy();
  });
}

/** Minimal view of node's per-socket in-flight response (what node's own default handler checks). */
interface SocketWithMessage {
  _httpMessage?: { headersSent?: boolean } | null;
}

function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & SocketWithMessage)._httpMessage;
  const canAnswer = socket.writable && (inFlight === undefined || inFlight === null || inFlight.headersSent !== true);
  if (err.code === 'ECONNRESET' || !canAnswer) {
    socket.destroy();
    return;
  }
  let status = 400;
  let tcode = 'ErrInvalidArgument';
  let reason = 'Bad Request';
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    tcode = 'ErrHeadersTooLarge';
    reason = 'Request Header Fields Too Large';
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    tcode = 'ErrTimeout';
    reason = 'Request Timeout';
  }
  const body = errorBodyJson(tcode, `${reason}: ${err.code ?? err.message}`, status);
  socket.on('error', () => {});
  // end() rather than destroy(): destroying with unread input sends a RST that can make the client
  // drop the answer. The peer closes after reading it; the linger timer bounds a silent one.
  const linger = setTimeout(() => socket.destroy(), HTTP_CLIENT_ERROR_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
