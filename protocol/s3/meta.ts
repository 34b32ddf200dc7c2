// How S3 object metadata lives in an object's custom metadata (AIS keeps the same keys): `ETag`
// (unquoted hex MD5, or `<md5 of part md5s>-N` for multipart), `Content-Type` and the other
// representation headers under their own names, user metadata as `x-amz-meta-<lower-case name>`.

export const MD_ETAG = 'ETag';
export const MD_CONTENT_TYPE = 'Content-Type';
export const AMZ_META_PREFIX = 'x-amz-meta-';
/** Headers an S3 PUT (or CreateMultipartUpload) stores and GET/HEAD return. */
export const STORED_HEADERS: Readonly<Record<string, string>> = {
  'content-type': MD_CONTENT_TYPE,
  'content-encoding': 'Content-Encoding',
  'content-disposition': 'Content-Disposition',
  'content-language': 'Content-Language',
  'cache-control': 'Cache-Control',
  expires: 'Expires',
};
/** S3 limits user metadata to 2 KiB (names and values, UTF-8). */
export const USER_META_BYTES_MAX = 2048;

type HeaderBag = Record<string, string | string[] | undefined>;

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Custom metadata from request headers (lower-case names): the stored representation headers and
 * every `x-amz-meta-*`. `aws-chunked` is a transfer detail, not the object's encoding.
 */
export function s3CustomMdFromHeaders(headers: HeaderBag): Record<string, string> {
  const md: Record<string, string> = {};
  for (const [h, key] of Object.entries(STORED_HEADERS)) {
    let v = one(headers[h]);
    if (v === undefined) continue;
    if (h === 'content-encoding') {
      v = v.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'aws-chunked').join(', ');
      if (v === '') continue;
    }
    md[key] = v;
  }
  for (const [h, v] of Object.entries(headers)) {
    if (h.startsWith(AMZ_META_PREFIX) && v !== undefined) md[h] = one(v) ?? '';
  }
  return md;
}

/** Bytes of user metadata as S3 counts them: UTF-8 names (with the prefix) plus values. */
export function userMetaBytes(md: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(md)) if (k.startsWith(AMZ_META_PREFIX)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** GET/HEAD response headers for the stored S3 metadata (not ETag: the caller quotes it). */
export function s3HeadersFromCustomMd(md: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = {};
  for (const [lower, key] of Object.entries(STORED_HEADERS)) {
    const v = md[key];
    if (v !== undefined) h[lower] = v;
  }
  for (const [k, v] of Object.entries(md)) if (k.startsWith(AMZ_META_PREFIX)) h[k] = v;
  return h;
}

/** The ETag of an object (unquoted): custom `ETag`, else an MD5 checksum; undefined when none. */
export function etagOf(meta: { customMd: Record<string, string>; cksumType: string; cksumValue: string }): string | undefined {
  const e = meta.customMd[MD_ETAG];
  if (e !== undefined && e !== '') return e;
  if (meta.cksumType === 'md5' && meta.cksumValue !== '') return meta.cksumValue;
  return undefined;
}
