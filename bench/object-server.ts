// The plain-Node baseline: GET streams a file (fs.createReadStream), PUT streams to a work file,
// fsyncs when asked (`--fsync on`, the cluster then runs with Fsync-PUT) and renames. Files live at <root>/<url path>, so
// nginx with `root <root>` serves the very same files. In dev mode a second "proxy" port answers
// 307 to this one and serves bucket create/list, to exercise the client without a cluster.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'msgpackr';

export const SERVER_REQUEST_TIMEOUT_MS = 600_000;
export const SERVER_KEEP_ALIVE_MS = 60_000;
const LIST_PAGE_SIZE_MAX = 10_000;
const CONTROL_BODY_BYTES_MAX = 1024 * 1024;
const WORK_FILE_PREFIX = '.work-';

function send(res: http.ServerResponse, status: number, body: string | Buffer = '', type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Maps a URL path to a file under root, refusing anything that escapes it. */
function fileFor(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = path.join(root, decoded);
  return file.startsWith(root + path.sep) ? file : undefined;
}

async function serveGet(root: string, req: http.IncomingMessage, res: http.ServerResponse, urlPath: string): Promise<void> {
  const file = fileFor(root, urlPath);
  if (!file) return send(res, 400, 'bad path');
  let size: number;
  try {
    const st = await fsp.stat(file);
    if (!st.isFile()) return send(res, 404, 'not found');
    size = st.size;
  } catch {
    return send(res, 404, 'not found');
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await pipeline(fs.createReadStream(file), res);
}

async function servePut(root: string, req: http.IncomingMessage, res: http.ServerResponse, urlPath: string, fsync: boolean): Promise<void> {
  const file = fileFor(root, urlPath);
  if (!file) return send(res, 400, 'bad path');
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const work = path.join(dir, WORK_FILE_PREFIX + randomBytes(8).toString('hex'));
  const fh = await fsp.open(work, 'w');
  try {
    let written = 0;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      await fh.write(buf, 0, buf.length);
      written += buf.length;
    }
    const expected = Number(req.headers['content-length'] ?? written);
    if (written !== expected) throw new Error(`short body: ${written} of ${expected}`);
    if (fsync) await fh.sync();
  } catch (err) {
    await fh.close();
    await fsp.rm(work, { force: true });
    throw err;
  }
  await fh.close();
  await fsp.rename(work, file);
  send(res, 200);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let n = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > CONTROL_BODY_BYTES_MAX) throw new Error('control body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface ListValue {
  pagesize?: number;
  continuation_token?: string;
}

/** Dev-mode bucket API: create-bck, and list with AIS paging (JSON or msgpack). */
async function serveBucket(root: string, req: http.IncomingMessage, res: http.ServerResponse, bucket: string): Promise<void> {
  const dir = fileFor(root, `/v1/objects/${bucket}`);
  if (!dir) return send(res, 400, 'bad bucket');
  const text = await readBody(req);
  const msg = (text ? JSON.parse(text) : {}) as { action?: string; value?: ListValue };
  if (req.method === 'POST' && msg.action === 'create-bck') {
    await fsp.mkdir(dir, { recursive: true });
    return send(res, 200);
  }
  if (req.method === 'GET' && msg.action === 'list') {
    const pageSize = Math.min(LIST_PAGE_SIZE_MAX, msg.value?.pagesize || LIST_PAGE_SIZE_MAX);
    const after = msg.value?.continuation_token ?? '';
    const names = (await fsp.readdir(dir)).filter((n) => !n.startsWith(WORK_FILE_PREFIX)).sort();
    let from = 0;
    if (after) while (from < names.length && names[from]! <= after) from++;
    const page = names.slice(from, from + pageSize);
    const token = from + pageSize < names.length ? page[page.length - 1]! : '';
    if (String(req.headers.accept ?? '').includes('application/msgpack')) {
      const body = pack({ UUID: 'dev', ContinuationToken: token, Entries: page.map((n) => ({ n })), Flags: 0 });
      return send(res, 200, body, 'application/msgpack');
    }
    const body = JSON.stringify({ uuid: 'dev', continuation_token: token, entries: page.map((name) => ({ name })), flags: 0 });
    return send(res, 200, body, 'application/json');
  }
  send(res, 400, `unsupported ${req.method} action "${msg.action}"`);
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

function guard(fn: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>): Handler {
  return (req, res) => {
    fn(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  };
}

export function objectHandler(root: string, opts: { buckets: boolean; fsync?: boolean }): Handler {
  return guard(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const bucketMatch = /^\/v1\/buckets\/([^/]+)$/.exec(url.pathname);
    if (opts.buckets && bucketMatch) return serveBucket(root, req, res, bucketMatch[1]!);
    if (!url.pathname.startsWith('/v1/objects/')) return send(res, 404, 'not found');
    if (req.method === 'GET' || req.method === 'HEAD') return serveGet(root, req, res, url.pathname);
    if (req.method === 'PUT') return servePut(root, req, res, url.pathname, opts.fsync ?? false);
    send(res, 405, 'method not allowed');
  });
}

/** Dev "proxy": bucket calls served here, object calls redirected to the target port before any body. */
export function redirectHandler(root: string, targetUrl: string): { handler: Handler; checkContinue: Handler } {
  const buckets = objectHandler(root, { buckets: true });
  const redirect = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const url = req.url ?? '/';
    if (!url.startsWith('/v1/objects/')) return false;
    const sep = url.includes('?') ? '&' : '?';
    res.writeHead(307, { location: `${targetUrl}${url}${sep}pid=dev&utm=0`, 'content-length': 0 });
    res.end();
    return true;
  };
  return {
    handler: (req, res) => {
      if (!redirect(req, res)) buckets(req, res);
    },
    checkContinue: (req, res) => {
      if (redirect(req, res)) return;
      res.writeContinue();
      buckets(req, res);
    },
  };
}

export function listen(handler: Handler, checkContinue?: Handler): Promise<http.Server> {
  const server = http.createServer(
    { requestTimeout: SERVER_REQUEST_TIMEOUT_MS, keepAliveTimeout: SERVER_KEEP_ALIVE_MS },
    handler,
  );
  if (checkContinue) server.on('checkContinue', checkContinue);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export function portOf(server: http.Server): number {
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('server has no port');
  return a.port;
}
