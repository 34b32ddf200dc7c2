// Helpers shared by the proxy and target frontends: URL parsing, bodies, AIS-shaped responses.
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { ErrBadActMsg, ErrInvalidArgument, ErrInvalidObjName, ErrRangeNotSatisfiable, ShoalError, errorToWire } from '../../protocol/errors.ts';
import { PROVIDER_ALIASES } from '../../protocol/apc.ts';

/** Control bodies (ActMsg and friends) are small; anything bigger is refused, never buffered. */
export const CONTROL_BODY_SIZE_MAX = 4 * 1024 * 1024;

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

export function textResponse(status: number, text: string): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text };
}

/** AIS error body (cmn/err.go ErrHTTP); HEAD has no body, so AIS sends the JSON in `Hdr-Error`. */
export function errorResponse(err: unknown, req: HttpRequest, nodeId: string): HttpResponse {
  const w = errorToWire(err);
  const body = {
    tcode: w.tcode,
    message: w.message,
    method: req.method,
    url_path: req.rawPath,
    remote_addr: req.remoteAddr,
    caller: '',
    node: nodeId,
    status: w.status,
  };
  const json = JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err instanceof ShoalError && err.status === 405 && 'allowed' in err) {
    headers.allow = (err as { allowed: readonly string[] }).allowed.join(', ');
  }
  if (err instanceof ErrRangeNotSatisfiable && err.size !== undefined) headers['content-range'] = `bytes */${err.size}`;
  if (req.method === 'HEAD') {
    headers['hdr-error'] = json.replace(/[^\x20-\x7e]/g, '?');
    return { status: w.status, headers };
  }
  return { status: w.status, headers, body: json };
}

/**
 * Splits `/v1/<resource>/<items...>`. The object name (everything after the bucket) keeps its
 * slashes; each segment is percent-decoded.
 */
export function apiItems(rawPath: string): string[] {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  const parts = path.split('/');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  return parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      throw new ErrInvalidArgument(`invalid percent-encoding in URL path "${rawPath}"`);
    }
  });
}

/** The object name from `/v1/objects/<bucket>/<obj...>`: items after the bucket joined by '/'. */
export function objNameFrom(items: string[], first: number): string {
  const name = items.slice(first).join('/');
  if (name.includes('\0')) throw new ErrInvalidObjName('object name contains NUL');
  return name;
}

/** Reads the whole (small) body, refusing more than `limit` bytes. */
export async function readBody(req: HttpRequest, limit = CONTROL_BODY_SIZE_MAX): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req.body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > limit) throw new ErrInvalidArgument(`request body exceeds ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export async function readJson(req: HttpRequest): Promise<unknown> {
  const buf = await readBody(req);
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw new ErrBadActMsg(`failed to parse request body as JSON: ${(e as Error).message}`);
  }
}

/** `provider` query with AIS aliases; empty = ais. */
export function providerOf(q: URLSearchParams): string {
  const raw = q.get('provider') ?? '';
  const p = PROVIDER_ALIASES[raw];
  if (p === undefined) throw new ErrInvalidArgument(`invalid provider "${raw}"`);
  return p;
}

export function headerString(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function isTrue(v: string | null | undefined): boolean {
  return v === 'true' || v === '1' || v === 'yes' || v === 'y' || v === 'on';
}
