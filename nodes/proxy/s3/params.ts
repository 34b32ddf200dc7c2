// Query parameters shared by the S3 listings (objects v1/v2, versions, multipart uploads): bounded
// page sizes, `encoding-type=url`, and the opaque v2 continuation token.
import { s3Err } from '../../../protocol/s3/errors.ts';

/** S3 caps every listing page at 1000 entries (a larger request is cut, not refused). */
export const S3_LIST_KEYS_MAX = 1000;

/** `max-keys` / `max-uploads`: a non-negative integer (default and cap 1000). */
export function maxKeysParam(q: URLSearchParams, name: string): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return S3_LIST_KEYS_MAX;
  if (!/^[0-9]+$/.test(raw)) throw s3Err.invalidArgument(`${name} must be a non-negative integer, not "${raw}"`);
  return Math.min(Number(raw), S3_LIST_KEYS_MAX);
}

/** Whether names are answered URL-encoded; the only encoding S3 knows is `url`. */
export function urlEncodingParam(q: URLSearchParams): boolean {
  const v = q.get('encoding-type');
  if (v === null) return false;
  if (v.toLowerCase() === 'url') return true;
  throw s3Err.invalidArgument(`Invalid Encoding Method specified in Request: encoding-type "${v}" (only "url" is supported)`);
}

/**
 * URL-encoding of a name in a listing (encoding-type=url). '/' stays readable; '+' becomes %2B, since
 * botocore decodes with unquote_plus.
 */
export function s3UrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/%2F/g, '/');
}

export function encoder(url: boolean): (s: string) => string {
  return url ? s3UrlEncode : (s) => s;
}

/** v2 continuation token: base64 of the last key or common prefix of the previous page. */
export function encodeContinuationToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64');
}

export function decodeContinuationToken(token: string): string {
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(token) && token.length % 4 === 0 ? Buffer.from(token, 'base64').toString('utf8') : '';
  // a token we did not issue does not survive the round trip
  if (key === '' || encodeContinuationToken(key) !== token) throw s3Err.invalidArgument('The continuation token provided is incorrect');
  return key;
}
