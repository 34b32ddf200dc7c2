// The S3 API's part of a node's frontend (proxy and target alike): `/s3/<bucket>/<key>` (or
// `/<bucket>/<key>` with feature S3-API-via-Root), a request id on every answer, and every thrown
// error written once as S3 XML (`<Error><Code>…</Code>…<RequestId>` = header `x-amz-request-id`).
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { ErrInvalidArgument, ErrNotReady, ErrRangeNotSatisfiable, ShoalError, errorToWire } from '../../protocol/errors.ts';
import { s3XmlDoc, type XmlObject } from '../../protocol/s3/xml.ts';
import type { NodeCore } from './node-core.ts';

export const S3_PATH_PREFIX = '/s3';
export const HDR_REQUEST_ID = 'x-amz-request-id';
export const S3_FEATURE_VIA_ROOT = 'S3-API-via-Root' as const;
/** Path prefixes that stay native even when S3 is served at the root. */
const NATIVE_ROOTS = new Set(['v1', 'ui', 's3']);

/** An S3 request: the bucket ('' = service level) and the object key ('' = bucket level). */
export interface S3Request {
  req: HttpRequest;
  bucket: string;
  /** The key exactly as sent (percent-decoded; slashes, `//` and a trailing `/` kept). */
  key: string;
  requestId: string;
}

/** Is this request for the S3 API on this node? (`/s3...`, or any non-native path when via-root.) */
export function isS3Path(core: NodeCore, rawPath: string): boolean {
  if (rawPath === S3_PATH_PREFIX || rawPath.startsWith(`${S3_PATH_PREFIX}/`)) return true;
  if (!core.feature(S3_FEATURE_VIA_ROOT)) return false;
  const first = rawPath.replace(/^\/+/, '').split('/')[0] ?? '';
  return !NATIVE_ROOTS.has(first);
}

/** Splits `/s3/<bucket>/<key>` (or `/<bucket>/<key>`) into bucket and key. */
export function parseS3Path(rawPath: string): { bucket: string; key: string } {
  let p = rawPath;
  if (p === S3_PATH_PREFIX || p.startsWith(`${S3_PATH_PREFIX}/`)) p = p.slice(S3_PATH_PREFIX.length);
  p = p.replace(/^\/+/, '');
  const slash = p.indexOf('/');
  const rawBucket = slash < 0 ? p : p.slice(0, slash);
  const rawKey = slash < 0 ? '' : p.slice(slash + 1);
  try {
    return { bucket: decodeURIComponent(rawBucket), key: decodeURIComponent(rawKey) };
  } catch {
    throw new ErrInvalidArgument(`invalid percent-encoding in URL path "${rawPath}"`);
  }
}

export function newRequestId(core: NodeCore): string {
  return Buffer.from(core.env.random.bytes(8)).toString('hex').toUpperCase();
}

/** A 200 (or other) answer with an S3 XML document. */
export function s3XmlResponse(status: number, root: string, body: XmlObject, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body: s3XmlDoc(root, body, false) };
}

/** S3 error document; HEAD and 304 carry no body (clients read the status). */
export function s3ErrorResponse(err: unknown, s3: { req: HttpRequest; bucket: string; key: string; requestId: string }): HttpResponse {
  const w = errorToWire(err);
  const code = err instanceof ShoalError ? err.s3Code : 'InternalError';
  const headers: Record<string, string> = { [HDR_REQUEST_ID]: s3.requestId, 'content-type': 'application/xml' };
  if (err instanceof ErrRangeNotSatisfiable && err.size !== undefined) headers['content-range'] = `bytes */${err.size}`;
  if (s3.req.method === 'HEAD' || w.status === 304) return { status: w.status, headers };
  const resource = s3.bucket === '' ? '/' : `/${s3.bucket}${s3.key === '' ? '' : `/${s3.key}`}`;
  const body: XmlObject = { Code: code, Message: w.message, Resource: resource, RequestId: s3.requestId };
  if (s3.bucket !== '') body.BucketName = s3.bucket;
  if (s3.key !== '') body.Key = s3.key;
  return { status: w.status, headers, body: s3XmlDoc('Error', body, false) };
}

/** One S3 request: parse the path, 503 until ready, run `route`, stamp the request id, map errors. */
export async function serveS3(
  core: NodeCore,
  req: HttpRequest,
  ready: () => boolean,
  route: (s3: S3Request) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const s3: S3Request = { req, bucket: '', key: '', requestId: newRequestId(core) };
  try {
    const { bucket, key } = parseS3Path(req.rawPath);
    s3.bucket = bucket;
    s3.key = key;
    if (!ready()) throw new ErrNotReady(`${core.self.daemon_type} ${core.id} is not ready yet`);
    const res = await route(s3);
    // a relayed answer already carries the target's id; keep one id per request end to end
    const headers = { ...(res.headers ?? {}) };
    if (headers[HDR_REQUEST_ID] === undefined) headers[HDR_REQUEST_ID] = s3.requestId;
    return { ...res, headers };
  } catch (e) {
    return s3ErrorResponse(e, s3);
  }
}
