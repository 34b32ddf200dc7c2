// S3 multipart uploads at the target (AIS ais/tgts3mpt.go): CreateMultipartUpload, UploadPart,
// UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts, and the target's share
// of ListMultipartUploads (intra-control `s3.mpt.list`). The engine is storage/uploads.ts: parts
// live on the object's HRW target and mountpath; Complete turns them into a chunked object.
// Limit: an upload stays where it was created; a Complete routed to another target after a
// membership change answers NoSuchUpload.
import type { HttpRequest, HttpResponse } from '../../../runtime/http/types.ts';
import { ErrConflict, ErrMethodNotAllowed } from '../../../protocol/errors.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { s3CustomMdFromHeaders } from '../../../protocol/s3/meta.ts';
import { MptMsg, type MptListReq, type MptListRes } from '../../../protocol/s3/mpt.ts';
import { parseS3Xml, xmlText, type XmlObject } from '../../../protocol/s3/xml.ts';
import type { NodeCore } from '../../common/node-core.ts';
import { headerString, readBody } from '../../common/http.ts';
import { s3XmlResponse, type S3Request } from '../../common/s3-frontend.ts';
import { s3Payload } from '../../common/s3/payload.ts';
import type { ObjectCtx } from '../objects.ts';
import type { CompletePart, Storage } from '../storage/storage.ts';
import { MPT_PART_NUM_MAX, validPartNum } from '../storage/uploads.ts';
import type { TargetNode } from '../target.ts';
import { HDR_COPY_SOURCE, openCopySource, parseCopySource } from './source.ts';

export const HDR_COPY_SOURCE_RANGE = 'x-amz-copy-source-range';
/** A CompleteMultipartUpload body: 10000 parts of ~100 bytes each fit well within this. */
export const COMPLETE_BODY_BYTES_MAX = 4 * 1024 * 1024;
/** ListParts `max-parts` default and cap (S3). */
export const LIST_PARTS_MAX = 1000;

/** Registers the target side of ListMultipartUploads (called once from TargetNode.start). */
export function register(core: NodeCore, storage: Storage): void {
  core.ctrl.handle(MptMsg.list, async (b): Promise<MptListRes> => ({ uploads: await storage.mptList(b as MptListReq) }));
}

/** Requests with `?uploads` or `?uploadId` on an object key (helper B's router sends them here). */
export async function handleMpt(target: TargetNode, s3: S3Request): Promise<HttpResponse> {
  const { req } = s3;
  await target.catchUp(req);
  const ctx = target.objectCtx('ais', s3.bucket, s3.key); // NoSuchBucket
  const q = req.query;
  const uploadId = q.get('uploadId');
  if (req.method === 'POST' && q.has('uploads') && uploadId === null) return create(target, s3, ctx);
  if (uploadId === null) throw s3Err.invalidRequest(`${req.method} with ?uploads is not a multipart request`);
  switch (req.method) {
    case 'PUT':
      return req.headers[HDR_COPY_SOURCE] === undefined ? uploadPart(target, s3, ctx, uploadId) : uploadPartCopy(target, s3, ctx, uploadId);
    case 'POST':
      return complete(target, s3, ctx, uploadId);
    case 'DELETE':
      await ctx.storage.mptAbort(ctx.bck, ctx.objName, uploadId);
      return { status: 204 };
    case 'GET':
      return listParts(s3, ctx, uploadId);
    default:
      throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET', 'PUT', 'POST', 'DELETE']);
  }
}

function refuseIfDestroying(target: TargetNode, ctx: ObjectCtx): void {
  if (target.txns.destroying(ctx.bck.provider, ctx.bck.name)) throw new ErrConflict(`bucket ${ctx.bck.provider}://${ctx.bck.name} is being destroyed`);
}

async function create(target: TargetNode, s3: S3Request, ctx: ObjectCtx): Promise<HttpResponse> {
  refuseIfDestroying(target, ctx);
  const id = await ctx.storage.mptCreate(ctx.bck, ctx.objName, s3CustomMdFromHeaders(s3.req.headers));
  return s3XmlResponse(200, 'InitiateMultipartUploadResult', { Bucket: s3.bucket, Key: s3.key, UploadId: id });
}

async function uploadPart(target: TargetNode, s3: S3Request, ctx: ObjectCtx, uploadId: string): Promise<HttpResponse> {
  refuseIfDestroying(target, ctx);
  const num = validPartNum(s3.req.query.get('partNumber'));
  // aws-chunked decoding, Content-MD5 / x-amz-checksum-* verification, MD5 (worker pool) on the way
  const p = s3Payload(target.core.env, s3.req);
  const part = await ctx.storage.mptPutPart(ctx.bck, ctx.objName, uploadId, num, p.body, {
    contentLength: p.contentLength,
    md5: () => p.md5(),
    writePolicy: ctx.fsyncPut ? 'immediate' : 'delayed',
  });
  return { status: 200, headers: { etag: `"${part.md5}"`, ...p.checksums() } };
}

/** `x-amz-copy-source-range: bytes=first-last` (both required, S3). */
function parseCopyRange(v: string | undefined): { start: number; end: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^bytes=(\d{1,15})-(\d{1,15})$/.exec(v.trim());
  const r = m ? { start: Number(m[1]), end: Number(m[2]) } : undefined;
  if (r === undefined || r.start > r.end) {
    throw s3Err.invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy');
  }
  return r;
}

async function uploadPartCopy(target: TargetNode, s3: S3Request, ctx: ObjectCtx, uploadId: string): Promise<HttpResponse> {
  refuseIfDestroying(target, ctx);
  const num = validPartNum(s3.req.query.get('partNumber'));
  const srcRef = parseCopySource(headerString(s3.req, HDR_COPY_SOURCE));
  const range = parseCopyRange(headerString(s3.req, HDR_COPY_SOURCE_RANGE));
  await ctx.storage.mptGet(ctx.bck, ctx.objName, uploadId); // NoSuchUpload before opening the source
  const src = await openCopySource(target, srcRef, range);
  const part = await ctx.storage.mptPutPart(ctx.bck, ctx.objName, uploadId, num, src.body, {
    contentLength: src.size,
    writePolicy: ctx.fsyncPut ? 'immediate' : 'delayed',
  });
  return s3XmlResponse(200, 'CopyPartResult', { ETag: `"${part.md5}"`, LastModified: new Date(part.mtimeMs).toISOString() });
}

/** `<CompleteMultipartUpload><Part><PartNumber>N</PartNumber><ETag>"…"</ETag></Part>…` */
export function parseCompleteBody(body: Uint8Array): CompletePart[] {
  const doc = parseS3Xml(body, 'CompleteMultipartUpload');
  const parts = doc.Part;
  if (parts === undefined) return [];
  if (!Array.isArray(parts)) throw s3Err.malformedXML('<Part> elements expected');
  return parts.map((p) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw s3Err.malformedXML('<Part> must hold <PartNumber> and <ETag>');
    const el = p as XmlObject;
    const n = (xmlText(el, 'PartNumber') ?? '').trim();
    if (!/^\d{1,5}$/.test(n) || Number(n) < 1 || Number(n) > MPT_PART_NUM_MAX) throw s3Err.malformedXML(`invalid <PartNumber> "${n}"`);
    const etag = xmlText(el, 'ETag');
    if (etag === undefined) throw s3Err.malformedXML(`<Part> ${n} has no <ETag>`);
    return { num: Number(n), etag: etag === '' ? '\u0000' : etag }; // an empty ETag never matches (S3)
  });
}

function location(req: HttpRequest, bucket: string, key: string): string {
  const host = headerString(req, 'host') ?? 'localhost';
  return `http://${host}/s3/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

async function complete(target: TargetNode, s3: S3Request, ctx: ObjectCtx, uploadId: string): Promise<HttpResponse> {
  refuseIfDestroying(target, ctx);
  await ctx.storage.mptGet(ctx.bck, ctx.objName, uploadId); // NoSuchUpload before the body's errors
  const parts = parseCompleteBody(await readBody(s3.req, COMPLETE_BODY_BYTES_MAX));
  const meta = await ctx.storage.mptComplete(ctx.bck, ctx.objName, uploadId, parts, {
    versioning: ctx.props.versioning.enabled,
    writePolicy: ctx.fsyncPut ? 'immediate' : 'delayed',
  });
  await target.forwardIfMisplaced(ctx);
  return s3XmlResponse(200, 'CompleteMultipartUploadResult', {
    Location: location(s3.req, s3.bucket, s3.key),
    Bucket: s3.bucket,
    Key: s3.key,
    ETag: `"${meta.customMd.ETag ?? ''}"`,
  });
}

function intParam(q: URLSearchParams, name: string, dflt: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  if (!/^\d{1,9}$/.test(v)) throw s3Err.invalidArgument(`${name} must be a non-negative integer (got "${v}")`);
  return Math.min(Number(v), max);
}

async function listParts(s3: S3Request, ctx: ObjectCtx, uploadId: string): Promise<HttpResponse> {
  const q = s3.req.query;
  const maxParts = intParam(q, 'max-parts', LIST_PARTS_MAX, LIST_PARTS_MAX);
  const marker = intParam(q, 'part-number-marker', 0, MPT_PART_NUM_MAX);
  const upload = await ctx.storage.mptGet(ctx.bck, ctx.objName, uploadId);
  const after = upload.parts.filter((p) => p.num > marker);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  const body: XmlObject = {
    Bucket: s3.bucket,
    Key: s3.key,
    UploadId: uploadId,
    PartNumberMarker: marker,
    NextPartNumberMarker: page.length > 0 ? page[page.length - 1]!.num : marker,
    MaxParts: maxParts,
    IsTruncated: truncated,
    StorageClass: 'STANDARD',
    Part: page.map((p) => ({ PartNumber: p.num, LastModified: new Date(p.mtimeMs).toISOString(), ETag: `"${p.md5}"`, Size: p.size })),
  };
  return s3XmlResponse(200, 'ListPartsResult', body);
}
