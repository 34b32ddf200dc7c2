// GetObject and HeadObject: conditionals first (412 / 304), then `partNumber` (a part of a multipart
// object is a range of it), else the range (a bad one is ignored, an unsatisfiable one is 416), then
// the bytes with the S3 headers.
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { ErrS3, s3Err } from '../../../protocol/s3/errors.ts';
import { ErrObjNotFound } from '../../../protocol/errors.ts';
import { headerString } from '../../common/http.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { ObjectCtx } from '../objects.ts';
import { partRange } from '../storage/chunks.ts';
import type { ByteRange, ObjMeta } from '../storage/storage.ts';
import { MPT_PART_NUM_MAX } from '../storage/uploads.ts';
import { checkConditions } from './conditional.ts';
import { objectHeaders, validatorHeaders } from './headers.ts';
import { parseS3Range } from './range.ts';

function notFound(ctx: ObjectCtx): never {
  throw new ErrObjNotFound(`${ctx.bck.provider}://${ctx.bck.name}`, ctx.objName);
}

function invalidPartNumber(): never {
  throw new ErrS3('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable');
}

/**
 * `partNumber=N`: the N-th part of a multipart (chunked) object as a range, with
 * `x-amz-mp-parts-count`; a plain object has one part, the whole of it. Past the last part: 416.
 */
function partOf(s3: S3Request, ctx: ObjectCtx, meta: ObjMeta): { range?: ByteRange; count: number } | undefined {
  const p = s3.req.query.get('partNumber');
  if (p === null) return undefined;
  const n = Number(p);
  if (!/^\d+$/.test(p) || !Number.isSafeInteger(n) || n < 1 || n > MPT_PART_NUM_MAX) {
    throw s3Err.invalidArgument(`Part number must be an integer between 1 and ${MPT_PART_NUM_MAX}, inclusive`);
  }
  if (headerString(s3.req, 'range') !== undefined) throw s3Err.invalidRequest('Cannot specify both Range header and partNumber query parameter');
  if (!meta.chunks) return n === 1 ? { count: 1 } : invalidPartNumber();
  const r = partRange(meta, ctx.objName, n);
  return r ? { range: { start: r.start, end: r.end }, count: r.count } : invalidPartNumber();
}

/** GET (head = false) or HEAD of an object that this target holds (the caller did get-from-neighbor). */
export async function readObject(ctx: ObjectCtx, s3: S3Request, head: boolean): Promise<HttpResponse> {
  const { req } = s3;
  const meta = ctx.storage.head(ctx.bck, ctx.objName);
  if (meta === undefined) notFound(ctx);
  if (checkConditions(req, meta) === 'not-modified') return { status: 304, headers: validatorHeaders(meta) };
  const part = partOf(s3, ctx, meta);
  const range = part ? part.range : parseS3Range(headerString(req, 'range'), meta.size);
  const checksums = range === undefined && headerString(req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  let res: HttpResponse;
  if (head) res = answer(meta, req.query, range, undefined, checksums);
  else {
    const got = await ctx.storage.get(ctx.bck, ctx.objName, range);
    res = answer(got.meta, req.query, got.range ?? range, got.data ?? got.stream, checksums);
  }
  if (part && meta.chunks) res.headers!['x-amz-mp-parts-count'] = String(part.count);
  return res;
}

function answer(meta: ObjMeta, query: URLSearchParams, range: ByteRange | undefined, body: HttpResponse['body'], checksums: boolean): HttpResponse {
  const headers = objectHeaders(meta, query, checksums);
  if (range) {
    headers['content-range'] = `bytes ${range.start}-${range.end}/${meta.size}`;
    headers['content-length'] = String(range.end - range.start + 1);
    return { status: 206, headers, body };
  }
  headers['content-length'] = String(meta.size);
  return { status: 200, headers, body };
}
