// AWS Signature Version 4 for S3 (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html):
// canonical request, string to sign, signing key, the Authorization-header and presigned-query forms,
// and the chunk/trailer signatures of streaming uploads. Pure: no clock, the caller passes the time.
import { createHash, createHmac } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4_CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const SIGV4_TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';
export const SIGV4_TERMINATOR = 'aws4_request';
export const S3_SERVICE = 's3';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Presigned URLs live at most 7 days (S3: X-Amz-Expires must be less than a week). */
export const PRESIGN_EXPIRES_SEC_MAX = 604_800;

export const Q_ALGORITHM = 'X-Amz-Algorithm';
export const Q_CREDENTIAL = 'X-Amz-Credential';
export const Q_DATE = 'X-Amz-Date';
export const Q_EXPIRES = 'X-Amz-Expires';
export const Q_SIGNED_HEADERS = 'X-Amz-SignedHeaders';
export const Q_SIGNATURE = 'X-Amz-Signature';
export const Q_SECURITY_TOKEN = 'X-Amz-Security-Token';

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * AWS URI encoding: every byte except the unreserved A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex);
 * '/' kept when `encodeSlash` is false (object key paths).
 */
export function uriEncode(s: string, encodeSlash: boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (c === '/' && !encodeSlash)) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** S3 canonical URI: the decoded path, encoded once (S3 does not normalize `//` or `.` segments). */
export function canonicalUri(decodedPath: string): string {
  return uriEncode(decodedPath === '' ? '/' : decodedPath, false);
}

/** Sorted by encoded name, then value; `X-Amz-Signature` left out (presigned form). */
export function canonicalQuery(query: Iterable<[string, string]>): string {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of query) if (k !== Q_SIGNATURE) pairs.push([uriEncode(k, true), uriEncode(v, true)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

type HeaderBag = Record<string, string | string[] | undefined>;

/** `name:value\n` per signed header (values trimmed, inner runs of spaces collapsed). */
export function canonicalHeaders(headers: HeaderBag, signed: readonly string[]): string {
  let out = '';
  for (const name of signed) {
    const v = headers[name];
    const value = (Array.isArray(v) ? v : [v ?? '']).map((x) => x.trim().replace(/\s+/g, ' ')).join(',');
    out += `${name}:${value}\n`;
  }
  return out;
}

export interface CanonicalRequestInput {
  method: string;
  /** Decoded path as the client addressed it (e.g. `/s3/bucket/key`). */
  path: string;
  query: Iterable<[string, string]>;
  /** Lower-case names. */
  headers: HeaderBag;
  /** Lower-case, sorted. */
  signedHeaders: readonly string[];
  /** Hex sha256, `UNSIGNED-PAYLOAD` or a `STREAMING-*` marker: what the client put in the request. */
  payloadHash: string;
}

export function canonicalRequest(r: CanonicalRequestInput): string {
  return [
    r.method,
    canonicalUri(r.path),
    canonicalQuery(r.query),
    canonicalHeaders(r.headers, r.signedHeaders),
    r.signedHeaders.join(';'),
    r.payloadHash,
  ].join('\n');
}

/** `<yyyymmdd>/<region>/s3/aws4_request`. */
export function credentialScope(date: string, region: string, service = S3_SERVICE): string {
  return `${date}/${region}/${service}/${SIGV4_TERMINATOR}`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

export function signingKey(secret: string, date: string, region: string, service = S3_SERVICE): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), SIGV4_TERMINATOR);
}

export function signature(key: Uint8Array, toSign: string): string {
  return createHmac('sha256', key).update(toSign).digest('hex');
}

/** Signature of one aws-chunked chunk, chained on the previous one (the seed is the request's). */
export function chunkSignature(key: Uint8Array, amzDate: string, scope: string, prevSignature: string, chunkSha256Hex: string): string {
  return signature(key, `${SIGV4_CHUNK_ALGORITHM}\n${amzDate}\n${scope}\n${prevSignature}\n${EMPTY_SHA256}\n${chunkSha256Hex}`);
}

/** Signature of the trailer section (`name:value\n` per trailer, signature trailer excluded). */
export function trailerSignature(key: Uint8Array, amzDate: string, scope: string, prevSignature: string, trailerText: string): string {
  return signature(key, `${SIGV4_TRAILER_ALGORITHM}\n${amzDate}\n${scope}\n${prevSignature}\n${sha256Hex(trailerText)}`);
}

/** `20130524T000000Z` of an epoch time in ms. */
export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Epoch ms of `20130524T000000Z`, or undefined if malformed. */
export function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

export interface ParsedAuthHeader {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * `AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date,
 * Signature=<hex>`; undefined when malformed.
 */
export function parseAuthHeader(value: string): ParsedAuthHeader | undefined {
  if (!value.startsWith(`${SIGV4_ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const cred = parseCredential(fields.get('Credential') ?? '');
  const signed = fields.get('SignedHeaders');
  const sig = fields.get('Signature');
  if (!cred || signed === undefined || sig === undefined || !/^[0-9a-f]{64}$/.test(sig)) return undefined;
  return { ...cred, signedHeaders: signed.split(';'), signature: sig };
}

/** `AKID/yyyymmdd/region/service/aws4_request`. */
export function parseCredential(value: string): { accessKey: string; date: string; region: string; service: string } | undefined {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== SIGV4_TERMINATOR) return undefined;
  const [accessKey, date, region, service] = parts as [string, string, string, string];
  if (accessKey === '' || !/^\d{8}$/.test(date) || region === '' || service === '') return undefined;
  return { accessKey, date, region, service };
}

export interface SignRequestInput {
  method: string;
  /** Full URL as sent (its host and path are signed). */
  url: string;
  headers?: Record<string, string>;
  /** Hex sha256 of the body, or UNSIGNED-PAYLOAD / a STREAMING-* marker; default: hash of `body`. */
  payloadHash?: string;
  body?: Uint8Array | string;
  accessKey: string;
  secretKey: string;
  region?: string;
  nowMs: number;
}

export interface SignedRequest {
  /** The input headers plus host, x-amz-date, x-amz-content-sha256 and authorization. */
  headers: Record<string, string>;
  signature: string;
  signingKey: Buffer;
  scope: string;
  amzDate: string;
}

/** URL path decoded, as the server's canonicalization sees it. */
function decodedPath(u: URL): string {
  return decodeURIComponent(u.pathname);
}

/** Header-form signing (tests, bench): signs every given header plus host and the x-amz-* ones. */
export function signRequest(r: SignRequestInput): SignedRequest {
  const u = new URL(r.url);
  const date = amzDate(r.nowMs);
  const region = r.region ?? 'us-east-1';
  const payloadHash = r.payloadHash ?? sha256Hex(r.body ?? '');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  headers.host = u.host;
  headers['x-amz-date'] = date;
  headers['x-amz-content-sha256'] = payloadHash;
  const signed = Object.keys(headers).sort();
  const canonical = canonicalRequest({ method: r.method, path: decodedPath(u), query: u.searchParams, headers, signedHeaders: signed, payloadHash });
  const scope = credentialScope(date.slice(0, 8), region);
  const key = signingKey(r.secretKey, date.slice(0, 8), region);
  const sig = signature(key, stringToSign(date, scope, canonical));
  headers.authorization = `${SIGV4_ALGORITHM} Credential=${r.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}`;
  return { headers, signature: sig, signingKey: key, scope, amzDate: date };
}

export interface PresignInput {
  method: string;
  url: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  nowMs: number;
  expiresSec: number;
}

/** Query-form (presigned URL): signs host only, payload UNSIGNED-PAYLOAD. */
export function presignUrl(p: PresignInput): string {
  const u = new URL(p.url);
  const date = amzDate(p.nowMs);
  const region = p.region ?? 'us-east-1';
  const scope = credentialScope(date.slice(0, 8), region);
  u.searchParams.set(Q_ALGORITHM, SIGV4_ALGORITHM);
  u.searchParams.set(Q_CREDENTIAL, `${p.accessKey}/${scope}`);
  u.searchParams.set(Q_DATE, date);
  u.searchParams.set(Q_EXPIRES, String(p.expiresSec));
  u.searchParams.set(Q_SIGNED_HEADERS, 'host');
  const canonical = canonicalRequest({
    method: p.method,
    path: decodedPath(u),
    query: u.searchParams,
    headers: { host: u.host },
    signedHeaders: ['host'],
    payloadHash: UNSIGNED_PAYLOAD,
  });
  const sig = signature(signingKey(p.secretKey, date.slice(0, 8), region), stringToSign(date, scope, canonical));
  // URLSearchParams would write spaces as '+'; SigV4 clients send %20
  const q = [...u.searchParams].map(([k, v]) => `${uriEncode(k, true)}=${uriEncode(v, true)}`);
  q.push(`${Q_SIGNATURE}=${sig}`);
  return `${u.origin}${u.pathname}?${q.join('&')}`;
}

/** An aws-chunked body with chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), for tests and the bench. */
export function encodeSignedChunks(chunks: Uint8Array[], seed: { signature: string; signingKey: Uint8Array; scope: string; amzDate: string }): Buffer {
  const parts: Buffer[] = [];
  let prev = seed.signature;
  for (const c of [...chunks.filter((x) => x.length > 0), new Uint8Array(0)]) {
    prev = chunkSignature(seed.signingKey, seed.amzDate, seed.scope, prev, sha256Hex(c));
    parts.push(Buffer.from(`${c.length.toString(16)};chunk-signature=${prev}\r\n`), Buffer.from(c), Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
