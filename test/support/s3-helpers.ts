// Shared helpers for the S3 integration tests: a tiny S3 client over HTTP (any method may carry a
// body, redirects are not followed), optional client-side SigV4 signing (header and presigned, written
// from the AWS spec independently of the server's verifier), XML answer parsing and S3 error asserts.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { request } from 'undici';

export const S3_REGION_DEFAULT = 'us-east-1';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** A parsed XML element: text, child elements by name, or repeated elements (see XML_LIST_TAGS). */
export type XmlVal = string | XmlNode | XmlVal[];
export interface XmlNode {
  [name: string]: XmlVal;
}

export interface SigV4Creds {
  accessKey: string;
  secretKey: string;
  /** Default us-east-1. */
  region?: string;
  /** Signing time (default now); lets tests sign with a skewed clock. */
  date?: Date;
  /** Sign the body's SHA-256 (default) or send `UNSIGNED-PAYLOAD`. */
  payload?: 'hash' | 'unsigned';
}

export interface S3Options {
  /** Query parameters; '' is sent as a bare name (`?delete`, `?uploads`), as botocore does. */
  query?: Record<string, string>;
  /** Undefined values are left out. */
  headers?: Record<string, string | undefined>;
  body?: string | Buffer | Uint8Array;
  sign?: SigV4Creds;
}

export interface S3Result {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
  /** The root element's name and content when the body is XML, else undefined. */
  root: string | undefined;
  xml: XmlNode | undefined;
}

/** Elements that repeat in S3 answers: always parsed as arrays so tests need not special-case one. */
const XML_LIST_TAGS = new Set(['Contents', 'CommonPrefixes', 'Deleted', 'Version', 'DeleteMarker', 'Upload', 'Part', 'Grant']);
/** Names that are also plain fields elsewhere (`<Bucket>` of an upload listing, the `<Error>` root). */
const XML_LIST_PATHS = new Set(['ListAllMyBucketsResult.Buckets.Bucket', 'DeleteResult.Error']);
const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  isArray: (name, jpath) => XML_LIST_TAGS.has(name) || XML_LIST_PATHS.has(String(jpath)),
});

/** RFC 3986 percent-encoding as SigV4 wants it (also encodes `!'()*`). */
export function awsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `/s3/<bucket>/<key>` with each key segment encoded (slashes, `//` and a trailing `/` kept). */
export function s3Path(bucket: string, key = '', prefix = '/s3'): string {
  const b = bucket === '' ? '' : `/${awsEncode(bucket)}`;
  const k = key === '' ? '' : `/${key.split('/').map(awsEncode).join('/')}`;
  return `${prefix}${b}${k}` || '/';
}

function queryString(query: Record<string, string>): string {
  return Object.entries(query).map(([k, v]) => (v === '' ? awsEncode(k) : `${awsEncode(k)}=${awsEncode(v)}`)).join('&');
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** `20240101T000000Z` */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function signingKey(secret: string, day: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 's3'), 'aws4_request');
}

function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** The string to sign and the signature for one canonical request (shared by header and presigned). */
function sigV4(creds: SigV4Creds, method: string, path: string, query: Record<string, string>, headers: Record<string, string>, payloadHash: string, when: string): { signedHeaders: string; signature: string; scope: string } {
  const region = creds.region ?? S3_REGION_DEFAULT;
  const day = when.slice(0, 8);
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v.trim().replace(/\s+/g, ' ');
  const canonHeaders = names.map((h) => `${h}:${lower[h]}\n`).join('');
  const signedHeaders = names.join(';');
  const canonical = [method, path, canonicalQuery(query), canonHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', when, scope, sha256Hex(canonical)].join('\n');
  const signature = createHmac('sha256', signingKey(creds.secretKey, day, region)).update(toSign).digest('hex');
  return { signedHeaders, signature, scope };
}

/** Adds `x-amz-date`, `x-amz-content-sha256` and `Authorization` to `headers` (which must hold `host`). */
export function signV4(creds: SigV4Creds, method: string, path: string, query: Record<string, string>, headers: Record<string, string>, body: Uint8Array | string | undefined): Record<string, string> {
  const when = amzDate(creds.date ?? new Date());
  const payloadHash = creds.payload === 'unsigned' ? UNSIGNED_PAYLOAD : sha256Hex(body ?? '');
  const h: Record<string, string> = { ...headers, 'x-amz-date': when, 'x-amz-content-sha256': payloadHash };
  const { signedHeaders, signature, scope } = sigV4(creds, method, path, query, h, payloadHash, when);
  h.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return h;
}

/** A presigned URL (query-string auth, `host` the only signed header, payload unsigned). */
export function presignUrl(baseUrl: string, method: string, path: string, creds: SigV4Creds, expiresSec: number, query: Record<string, string> = {}): string {
  const host = new URL(baseUrl).host;
  const when = amzDate(creds.date ?? new Date());
  const region = creds.region ?? S3_REGION_DEFAULT;
  const q: Record<string, string> = {
    ...query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${creds.accessKey}/${when.slice(0, 8)}/${region}/s3/aws4_request`,
    'X-Amz-Date': when,
    'X-Amz-Expires': String(expiresSec),
    'X-Amz-SignedHeaders': 'host',
  };
  const { signature } = sigV4(creds, method, path, q, { host }, UNSIGNED_PAYLOAD, when);
  return `${baseUrl}${path}?${queryString({ ...q, 'X-Amz-Signature': signature })}`;
}

/** Parses an XML answer: its root element's name and content (undefined when not XML). */
export function parseXml(text: string): { root: string; xml: XmlNode } | undefined {
  if (!text.trimStart().startsWith('<')) return undefined;
  const doc = parser.parse(text) as XmlNode;
  const root = Object.keys(doc).find((k) => !k.startsWith('?'));
  if (root === undefined) return undefined;
  const v = doc[root];
  return { root, xml: typeof v === 'object' && !Array.isArray(v) ? v : {} };
}

function parseXmlOrUndefined(text: string): ReturnType<typeof parseXml> {
  try {
    return parseXml(text);
  } catch {
    return undefined;
  }
}

/**
 * One S3 request to `baseUrl + path` (path already encoded: see s3Path). Never throws on an HTTP error
 * status; tests assert on it.
 */
export async function s3(baseUrl: string, method: string, path: string, opts: S3Options = {}): Promise<S3Result> {
  const query = opts.query ?? {};
  const qs = queryString(query);
  let headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = v;
  if (opts.sign) headers = signV4(opts.sign, method, path, query, { host: new URL(baseUrl).host, ...headers }, opts.body);
  const res = await request(`${baseUrl}${path}${qs === '' ? '' : `?${qs}`}`, { method: method as 'GET', headers, body: opts.body });
  const body = Buffer.from(await res.body.arrayBuffer());
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
  }
  const text = body.toString('utf8');
  // Only XML answers are parsed: an object body is random bytes, which start with '<' one time in 256.
  const ctype = h.get('content-type') ?? '';
  const parsed = ctype.includes('xml') ? parseXml(text) : ctype === '' ? parseXmlOrUndefined(text) : undefined;
  return { status: res.statusCode, headers: h, body, text, root: parsed?.root, xml: parsed?.xml };
}

/** A child's text ('' for an empty element); fails the test when absent or not text. */
export function xtext(n: XmlNode | undefined, name: string): string {
  assert.ok(n, `no XML node to read <${name}> from`);
  const v = n[name];
  assert.ok(v !== undefined, `<${name}> missing in ${JSON.stringify(n)}`);
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return '';
  assert.equal(typeof v, 'string', `<${name}> is not text: ${JSON.stringify(v)}`);
  return v as string;
}

/** A child's text, or undefined when the element is absent. */
export function xopt(n: XmlNode | undefined, name: string): string | undefined {
  return n?.[name] === undefined ? undefined : xtext(n, name);
}

/** A child element (object; {} for an empty one); fails the test when absent. */
export function xnode(n: XmlNode | undefined, name: string): XmlNode {
  const v = n?.[name];
  if (v === '') return {};
  assert.ok(v !== undefined && typeof v === 'object' && !Array.isArray(v), `<${name}> missing or not an element in ${JSON.stringify(n)}`);
  return v;
}

/** Repeated children (see XML_LIST_TAGS); [] when absent. */
export function xlist(n: XmlNode | undefined, name: string): XmlNode[] {
  const v = n?.[name];
  if (v === undefined) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((e) => (typeof e === 'object' && !Array.isArray(e) ? e : ({ '#text': e } as XmlNode)));
}

/**
 * Asserts an S3 error answer: status, `<Error><Code>`, and `<RequestId>` equal to the
 * `x-amz-request-id` header (HEAD: no body, header only). Returns the `<Error>` content ({} on HEAD).
 */
export function assertS3Error(res: S3Result, status: number, code: string, isHead = false): XmlNode {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  const rid = res.headers.get('x-amz-request-id');
  assert.ok(rid, 'error answer carries x-amz-request-id');
  if (isHead) {
    assert.equal(res.body.length, 0, 'HEAD error has no body');
    return {};
  }
  assert.equal(res.root, 'Error', `error body is <Error>: ${res.text}`);
  assert.equal(xtext(res.xml, 'Code'), code, `Code: ${res.text}`);
  assert.equal(xtext(res.xml, 'RequestId'), rid, 'RequestId equals x-amz-request-id');
  assert.equal(typeof xtext(res.xml, 'Message'), 'string');
  return res.xml ?? {};
}

/** Asserts a 2xx-like status, with the body in the message. */
export function assertS3Ok(res: S3Result, status = 200): S3Result {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  return res;
}

/** PUTs `keys` (body = the key unless `bodyOf` says otherwise) through S3 with bounded concurrency. */
export async function s3PutMany(baseUrl: string, bucket: string, keys: readonly string[], concurrency = 32, bodyOf: (k: string) => string | Buffer = (k) => k): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= keys.length) return;
      const k = keys[i]!;
      const r = await s3(baseUrl, 'PUT', s3Path(bucket, k), { body: bodyOf(k) });
      assert.equal(r.status, 200, `PUT ${bucket}/${k}: ${r.status} ${r.text}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
}
