// uWebSockets.js server adapter (optional, Node 16/18/20 only): the same HttpHandler contract as
// http-node.ts. uWS differs from node:http in ways this file absorbs: its HttpRequest is valid only
// synchronously, body chunks are neutered after the callback, responses need cork() outside the
// handler's synchronous part, backpressure is tryEnd/onWritable out and pause/resume in, and an
// aborted response must never be touched again. Where uWS cannot load, it falls back to node:http.
import http from 'node:http';
import { Readable } from 'node:stream';
import type { Headers, HttpHandler, HttpResponse, HttpServerOptions } from '../../http/types.ts';
import type { Listener } from '../types.ts';
import { bodyForbidden, errorBodyJson, serveHttpNode, splitTarget } from './http-node.ts';

export const UWS_MODULE_NAME = '@trufflesuite/uws-js-unofficial';
/** Node ABI versions (process.versions.modules) the uWS build ships native binaries for. */
export const UWS_NODE_ABI_SUPPORTED: readonly string[] = ['93', '108', '115'];
/** On close, in-flight requests get this long to finish before every connection is cut. */
export const UWS_CLOSE_GRACE_MS = 2_000;
export const UWS_CLOSE_POLL_MS = 10;
/** Incoming body bytes buffered in the request stream before the socket is paused. */
export const UWS_BODY_BUFFER_BYTES_MAX = 1 << 20;

// The slice of the uWS API we use, typed here so that the optional module's types are not needed.
interface UwsHttpResponse {
  pause(): void;
  resume(): void;
  writeStatus(status: string): UwsHttpResponse;
  writeHeader(key: string, value: string): UwsHttpResponse;
  write(chunk: ArrayBuffer | Uint8Array | string): boolean;
  end(body?: ArrayBuffer | Uint8Array | string, closeConnection?: boolean): UwsHttpResponse;
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): UwsHttpResponse;
  tryEnd(chunk: ArrayBuffer | Uint8Array | string, totalSize: number): [boolean, boolean];
  close(): UwsHttpResponse;
  getWriteOffset(): number;
  onWritable(handler: (offset: number) => boolean): UwsHttpResponse;
  onAborted(handler: () => void): UwsHttpResponse;
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): UwsHttpResponse;
  getRemoteAddressAsText(): ArrayBuffer;
  cork(cb: () => void): UwsHttpResponse;
}
interface UwsHttpRequest {
  getUrl(): string;
  getCaseSensitiveMethod(): string;
  getQuery(): string | undefined;
  forEach(cb: (key: string, value: string) => void): void;
}
type UwsListenSocket = object;
interface UwsApp {
  any(pattern: string, handler: (res: UwsHttpResponse, req: UwsHttpRequest) => void): UwsApp;
  listen(host: string, port: number, cb: (ls: UwsListenSocket | false) => void): UwsApp;
  close?(): void;
}
interface UwsModule {
  App(): UwsApp;
  us_listen_socket_close(ls: UwsListenSocket): void;
  us_socket_local_port(ls: UwsListenSocket): number;
}

export interface UwsWarn {
  (message: string): void;
}

/** Loads uWS if this Node can run its native build; otherwise says why not. */
export async function loadUws(): Promise<UwsModule | string> {
  if (!UWS_NODE_ABI_SUPPORTED.includes(process.versions.modules)) {
    // Importing would load the package's JS shim, which lacks tryEnd/onWritable/pause/resume.
    return `uWS has no native build for Node ABI ${process.versions.modules}`;
  }
  const fallbackEnv = process.env['UWS_USE_FALLBACK'];
  if (fallbackEnv !== undefined && /^(1|true)$/i.test(fallbackEnv)) return 'UWS_USE_FALLBACK is set';
  let mod: unknown;
  try {
    const name = UWS_MODULE_NAME; // a variable: the optional module may be absent at type-check time
    const imported = (await import(name)) as { default?: unknown };
    mod = imported.default ?? imported;
  } catch (err) {
    return `cannot load ${UWS_MODULE_NAME}: ${err instanceof Error ? err.message : String(err)}`;
  }
  const m = mod as Partial<UwsModule>;
  if (typeof m.App !== 'function' || typeof m.us_listen_socket_close !== 'function' ||
      typeof m.us_socket_local_port !== 'function') {
    return `${UWS_MODULE_NAME} is the JS shim (no native listen-socket API)`;
  }
  return m as UwsModule;
}

/** serveHttpNode with the same contract on uWS; falls back to node:http (with a warning) if uWS cannot run. */
export async function serveHttpUws(
  host: string,
  port: number,
  handler: HttpHandler,
  opts: HttpServerOptions,
  warn: UwsWarn = (m) => process.emitWarning(m),
): Promise<Listener> {
  const uws = await loadUws();
  if (typeof uws === 'string') {
    warn(`uWS HTTP adapter unavailable (${uws}); falling back to node:http`);
    return serveHttpNode(host, port, handler, opts);
  }
  const app = uws.App();
  const active = new Set<Exchange>();
  let shimWarned = false;
  app.any('/*', (res, req) => {
    if (typeof res.tryEnd !== 'function' || typeof res.onWritable !== 'function' || typeof res.pause !== 'function') {
      // Only a JS shim lacks these; answer instead of crashing later mid-stream.
      if (!shimWarned) warn('uWS adapter: the loaded module is a JS shim without streaming; answering 503');
      shimWarned = true;
      res.writeStatus('503 Service Unavailable').end(errorBodyJson('ErrNotReady', 'uWS shim cannot stream', 503));
      return;
    }
    const ex = serveOne(handler, res, req, opts);
    if (ex !== undefined && !ex.done) {
      active.add(ex);
      ex.onDone = () => active.delete(ex);
    }
  });
  const ls = await new Promise<UwsListenSocket>((resolve, reject) => {
    app.listen(host, port, (s) => (s === false ? reject(new Error(`uWS cannot listen on ${host}:${port}`)) : resolve(s)));
  });
  let closing: Promise<void> | undefined;
  return {
    port: uws.us_socket_local_port(ls),
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        uws.us_listen_socket_close(ls);
        // uWS has no "close when idle": wait (bounded) for in-flight exchanges, then cut every
        // connection, idle keep-alive ones included.
        let waitedMs = 0;
        const poll = setInterval(() => {
          waitedMs += UWS_CLOSE_POLL_MS;
          if (active.size > 0 && waitedMs < UWS_CLOSE_GRACE_MS) return;
          clearInterval(poll);
          app.close?.();
          resolve();
        }, UWS_CLOSE_POLL_MS);
      });
      return closing;
    },
  };
}

/** Per-request state shared by the body reader and the response writer. */
interface Exchange {
  res: UwsHttpResponse;
  /** Set once onAborted ran or the response ended: res must not be touched any more. */
  done: boolean;
  aborted: boolean;
  bodyPaused: boolean;
  bodyEnded: boolean;
  /** The response body stream being sent, destroyed on abort. */
  source?: Readable;
  /** Called once when the exchange is done (the server's in-flight set forgets it). */
  onDone?: () => void;
}

function markDone(ex: Exchange): void {
  if (ex.done) return;
  ex.done = true;
  ex.onDone?.();
}

/** Serves one request; returns its exchange, or undefined when it was answered on the spot. */
function serveOne(handler: HttpHandler, res: UwsHttpResponse, req: UwsHttpRequest, opts: HttpServerOptions): Exchange | undefined {
  // Copy everything out of req now: it is invalid after this synchronous part.
  const method = req.getCaseSensitiveMethod().toUpperCase();
  const target = req.getUrl();
  const rawQuery = req.getQuery() ?? '';
  const headers: Headers = {};
  // uWS has no header size option: enforce maxHeaderSize here, as node:http does (431).
  let headerBytes = method.length + target.length + rawQuery.length + 12;
  req.forEach((key, value) => {
    headerBytes += key.length + value.length + 4;
    const prev = headers[key];
    if (prev === undefined) headers[key] = value;
    else if (key === 'set-cookie') headers[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    else headers[key] = `${Array.isArray(prev) ? prev.join(', ') : prev}, ${value}`;
  });
  if (headerBytes > opts.maxHeaderSize) {
    const body = errorBodyJson('ErrHeadersTooLarge', `request headers exceed ${opts.maxHeaderSize} bytes`, 431);
    res.writeStatus(statusLine(431)).writeHeader('content-type', 'application/json').end(body, true);
    return undefined;
  }
  const remoteAddr = Buffer.from(res.getRemoteAddressAsText()).toString();
  const ex: Exchange = { res, done: false, aborted: false, bodyPaused: false, bodyEnded: false };

  const body = new Readable({
    highWaterMark: UWS_BODY_BUFFER_BYTES_MAX,
    read() {
      if (ex.bodyPaused && !ex.done) {
        ex.bodyPaused = false;
        res.resume();
      }
    },
  });
  res.onAborted(() => {
    markDone(ex);
    ex.aborted = true;
    // Like node's IncomingMessage: an error only if someone listens (else it would be uncaught);
    // a consumer that comes later still sees a premature close.
    if (!ex.bodyEnded) {
      if (body.listenerCount('error') > 0) body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      else body.destroy();
    }
    ex.source?.destroy();
  });
  res.onData((chunk, isLast) => {
    if (ex.bodyEnded) return;
    // The chunk is neutered when this callback returns: copy it.
    const copy = Buffer.from(new Uint8Array(chunk));
    const more = copy.byteLength === 0 ? true : body.push(copy);
    if (isLast) {
      ex.bodyEnded = true;
      body.push(null);
    } else if (!more && !ex.bodyPaused && !ex.done) {
      ex.bodyPaused = true;
      res.pause();
    }
  });

  const { rawPath } = splitTarget(target);
  const request = {
    method,
    rawPath,
    query: new URLSearchParams(rawQuery),
    headers,
    body,
    remoteAddr,
  };
  let responding: Promise<HttpResponse>;
  try {
    responding = handler(request);
  } catch (err) {
    responding = Promise.reject(err);
  }
  responding.then(
    (r) => writeResponse(ex, method, r),
    (err: unknown) => writeResponse(ex, method, internalError(err)),
  ).catch(() => {
    // writeResponse never throws on purpose; if it does, cut the connection rather than crash.
    if (!ex.done) {
      markDone(ex);
      res.close();
    }
  });
  return ex;
}

function internalError(err: unknown): HttpResponse {
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, headers: { 'content-type': 'application/json' }, body: errorBodyJson('ErrInternal', message, 500) };
}

function statusLine(status: number): string {
  return `${status} ${http.STATUS_CODES[status] ?? 'Unknown'}`;
}

/** uWS writes these itself (content-length from end/tryEnd sizes); sending ours would duplicate them. */
const HEADERS_OWNED_BY_UWS = new Set(['content-length', 'transfer-encoding', 'date', 'connection']);

function writeHead(res: UwsHttpResponse, r: HttpResponse): number | undefined {
  res.writeStatus(statusLine(r.status));
  let contentLength: number | undefined;
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    const key = name.toLowerCase();
    if (key === 'content-length') {
      const n = Number(Array.isArray(value) ? value[0] : value);
      if (Number.isSafeInteger(n) && n >= 0) contentLength = n;
    }
    if (HEADERS_OWNED_BY_UWS.has(key)) continue;
    for (const v of Array.isArray(value) ? value : [value]) res.writeHeader(key, v);
  }
  return contentLength;
}

/** Drops a body we will not send; a relayed (undici) body errors on destroy, which must not crash us. */
function discard(body: HttpResponse['body']): void {
  if (!(body instanceof Readable)) return;
  body.on('error', () => {});
  body.destroy();
}

function writeResponse(ex: Exchange, method: string, r: HttpResponse): void {
  const body = r.body;
  if (ex.done) {
    discard(body);
    return;
  }
  const res = ex.res;
  if (body === undefined || bodyForbidden(method, r.status)) {
    discard(body);
    finish(ex, () => {
      const contentLength = writeHead(res, r);
      if (method === 'HEAD' && contentLength !== undefined) res.endWithoutBody(contentLength);
      else if (bodyForbidden(method, r.status)) res.endWithoutBody();
      else res.end();
    });
    return;
  }
  if (!(body instanceof Readable)) {
    finish(ex, () => {
      writeHead(res, r);
      res.end(body);
    });
    return;
  }
  let contentLength: number | undefined;
  res.cork(() => {
    contentLength = writeHead(res, r);
  });
  ex.source = body;
  if (contentLength !== undefined) streamSized(ex, body, contentLength);
  else streamChunked(ex, body);
}

/** Ends the exchange with `last` (corked), after which res is never touched again. */
function finish(ex: Exchange, last: (res: UwsHttpResponse) => void): void {
  if (ex.done) return;
  markDone(ex);
  // A body left paused would stall the connection once the response is out.
  if (ex.bodyPaused) ex.res.resume();
  ex.res.cork(() => last(ex.res));
}

function cut(ex: Exchange): void {
  if (ex.done) return;
  markDone(ex);
  // A truncated response, never a clean end: the client must see the failure.
  ex.res.close();
}

/** Known length: tryEnd with the total size, resuming from onWritable under backpressure. */
function streamSized(ex: Exchange, source: Readable, totalSize: number): void {
  const res = ex.res;
  if (totalSize === 0) {
    discard(source);
    finish(ex, () => res.end());
    return;
  }
  let pending: Uint8Array | undefined; // the unsent rest of the last chunk
  let pendingOffset = 0; // write offset at which `pending` starts

  const tryEnd = (chunk: Uint8Array): [boolean, boolean] => {
    let result: [boolean, boolean] = [false, false];
    res.cork(() => {
      result = res.tryEnd(chunk, totalSize);
    });
    return result;
  };

  source.on('data', (data: Buffer | string) => {
    if (ex.done) return;
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    const offset = res.getWriteOffset();
    const [ok, finished] = tryEnd(chunk);
    if (finished) {
      markDone(ex);
      discard(source); // anything beyond totalSize is not sent
      return;
    }
    if (ok) return;
    source.pause();
    pending = chunk;
    pendingOffset = offset;
    res.onWritable((writeOffset) => {
      if (ex.done || pending === undefined) return true;
      const [ok2, finished2] = tryEnd(pending.subarray(writeOffset - pendingOffset));
      if (finished2) {
        markDone(ex);
        discard(source);
      } else if (ok2) {
        pending = undefined;
        source.resume();
      }
      return ok2;
    });
  });
  source.on('end', () => {
    // Fewer bytes than announced: a short response must not look complete.
    if (!ex.done) cut(ex);
  });
  source.on('error', () => cut(ex));
}

/** Unknown length: chunked write() calls, pausing the source while uWS holds backpressure. */
function streamChunked(ex: Exchange, source: Readable): void {
  const res = ex.res;
  source.on('data', (data: Buffer | string) => {
    if (ex.done) return;
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    let ok = false;
    res.cork(() => {
      ok = res.write(chunk);
    });
    if (ok) return;
    source.pause();
    res.onWritable(() => {
      if (!ex.done) source.resume();
      return true;
    });
  });
  source.on('end', () => finish(ex, () => res.end()));
  source.on('error', () => cut(ex));
}
