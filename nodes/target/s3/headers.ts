// S3 object answer headers (contract 2 in the S3 design): ETag quoted, Last-Modified (RFC 1123),
// Content-Type (stored, else application/octet-stream), Accept-Ranges, the stored representation
// headers and x-amz-meta-*; the GET/HEAD `response-*` query overrides; S3 metadata error codes.
import { ErrS3 } from '../../../protocol/s3/errors.ts';
import { etagOf, s3HeadersFromCustomMd, userMetaBytes, USER_META_BYTES_MAX } from '../../../protocol/s3/meta.ts';
import type { ObjMeta } from '../storage/storage.ts';

export const CONTENT_TYPE_DEFAULT = 'application/octet-stream';

/** GetObject / HeadObject query parameters that override an answer header (S3 "response-*"). */
const RESPONSE_OVERRIDES: Readonly<Record<string, string>> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

/**
 * The object's ETag, unquoted: the stored S3 one (MD5, or `<md5>-N` for multipart), else an MD5
 * checksum; an object PUT natively with another checksum gets AIS's made-up one
 * (`v1-<cksum>-<mtime ns base 36>`, core/lom.go ETag); none without a checksum.
 */
export function objEtag(meta: ObjMeta): string | undefined {
  const e = etagOf(meta);
  if (e !== undefined) return e;
  if (meta.cksumType === 'none' || meta.cksumValue === '') return undefined;
  return `v1-${meta.cksumValue}-${(BigInt(meta.mtimeMs) * 1_000_000n).toString(36)}`;
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** RFC 1123 (`Wed, 21 Oct 2015 07:28:00 GMT`), as S3 sends Last-Modified. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** ISO 8601 with milliseconds, as S3 writes LastModified in XML answers. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** Validators only (ETag, Last-Modified): what a 304 carries. */
export function validatorHeaders(meta: ObjMeta): Record<string, string> {
  const h: Record<string, string> = { 'last-modified': httpDate(meta.mtimeMs) };
  const etag = objEtag(meta);
  if (etag !== undefined) h.etag = quoteEtag(etag);
  return h;
}

/** Stored by PutObject: the whole object's verified `x-amz-checksum-<alg>` (base64). */
const CHECKSUM_MD_PREFIX = 'x-amz-checksum-';

/**
 * Headers of a GET/HEAD answer (without Content-Length / Content-Range: the caller knows the bytes).
 * `checksums`: the stored whole-object x-amz-checksum-* (asked by `x-amz-checksum-mode: ENABLED`,
 * and only when the whole object is sent, as S3 does).
 */
export function objectHeaders(meta: ObjMeta, query: URLSearchParams, checksums = false): Record<string, string> {
  const h: Record<string, string> = {
    ...validatorHeaders(meta),
    'accept-ranges': 'bytes',
    'content-type': CONTENT_TYPE_DEFAULT,
    ...s3HeadersFromCustomMd(meta.customMd),
  };
  if (checksums) for (const [k, v] of Object.entries(meta.customMd)) if (k.startsWith(CHECKSUM_MD_PREFIX)) h[k] = v;
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = query.get(param);
    if (v !== null) h[header] = v;
  }
  return h;
}

/** S3 refuses more than 2 KiB of user metadata (names and values). */
export function checkUserMeta(md: Record<string, string>): void {
  const n = userMetaBytes(md);
  if (n > USER_META_BYTES_MAX) {
    throw new ErrS3('MetadataTooLarge', 400, `Your metadata headers exceed the maximum allowed metadata size (${n} > ${USER_META_BYTES_MAX} bytes)`);
  }
}
