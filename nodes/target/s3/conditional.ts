// Conditional requests on an object, in the order RFC 9110 §13.2.2 and S3 evaluate them:
// If-Match (412), else If-Unmodified-Since (412); If-None-Match (304 for GET/HEAD), else
// If-Modified-Since (304). CopyObject's `x-amz-copy-source-if-*` use the same rules on the source,
// and every failure there is 412.
import type { HttpRequest } from '../../../runtime/http/types.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { headerString } from '../../common/http.ts';
import type { ObjMeta } from '../storage/storage.ts';
import { objEtag } from './headers.ts';

export type Precondition = 'ok' | 'not-modified';

/** `"a", W/"b"` or `*`: does it match this ETag? (weak comparison: S3 has no weak ETags) */
function etagMatches(list: string, etag: string | undefined): boolean {
  for (const raw of list.split(',')) {
    const t = raw.trim();
    if (t === '*') return true;
    if (etag !== undefined && t.replace(/^W\//, '').replace(/^"(.*)"$/, '$1') === etag) return true;
  }
  return false;
}

/** An HTTP date (any format Date.parse takes); undefined when invalid, so the condition is ignored (RFC 9110). */
function parseDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Last-Modified has one-second resolution: compare what the client could have seen. */
function mtimeSec(meta: ObjMeta): number {
  return Math.floor(meta.mtimeMs / 1000);
}

interface Conds {
  ifMatch?: string;
  ifUnmodifiedSince?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

function evaluate(c: Conds, meta: ObjMeta): 'ok' | 'failed' | 'not-modified' {
  const etag = objEtag(meta);
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, etag)) return 'failed';
  } else {
    const since = parseDate(c.ifUnmodifiedSince);
    if (since !== undefined && mtimeSec(meta) > Math.floor(since / 1000)) return 'failed';
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, etag)) return 'not-modified';
  } else {
    const since = parseDate(c.ifModifiedSince);
    if (since !== undefined && mtimeSec(meta) <= Math.floor(since / 1000)) return 'not-modified';
  }
  return 'ok';
}

/** GET/HEAD: throws PreconditionFailed (412); 'not-modified' means answer 304. */
export function checkConditions(req: HttpRequest, meta: ObjMeta): Precondition {
  const r = evaluate(
    {
      ifMatch: headerString(req, 'if-match'),
      ifUnmodifiedSince: headerString(req, 'if-unmodified-since'),
      ifNoneMatch: headerString(req, 'if-none-match'),
      ifModifiedSince: headerString(req, 'if-modified-since'),
    },
    meta,
  );
  if (r === 'failed') throw s3Err.preconditionFailed('At least one of the pre-conditions you specified did not hold');
  return r;
}

/** CopyObject / UploadPartCopy: the source's `x-amz-copy-source-if-*`; any failure is 412. */
export function checkCopySourceConditions(req: HttpRequest, meta: ObjMeta): void {
  const r = evaluate(
    {
      ifMatch: headerString(req, 'x-amz-copy-source-if-match'),
      ifUnmodifiedSince: headerString(req, 'x-amz-copy-source-if-unmodified-since'),
      ifNoneMatch: headerString(req, 'x-amz-copy-source-if-none-match'),
      ifModifiedSince: headerString(req, 'x-amz-copy-source-if-modified-since'),
    },
    meta,
  );
  if (r !== 'ok') throw s3Err.preconditionFailed('At least one of the pre-conditions you specified did not hold');
}
