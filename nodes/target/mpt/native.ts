// The native AIS multipart API (api/mpt.go) on the same engine as S3 (storage/uploads.ts):
//   POST   /v1/objects/<b>/<o>                          {action:"mpt-upload"}   → upload id (text)
//   PUT    /v1/objects/<b>/<o>?uploadId=U&partNumber=N  + body                  → ETag header
//   POST   /v1/objects/<b>/<o>?uploadId=U  {action:"mpt-complete", value:[{"part-number":N,"etag":""}]}
//   DELETE /v1/objects/<b>/<o>?uploadId=U               {action:"mpt-abort"} (body optional)
// Errors are AIS JSON (the S3 ones keep their status: NoSuchUpload is a 404, InvalidPart a 400...).
import type { HttpRequest, HttpResponse } from '../../../runtime/http/types.ts';
import { ErrBadActMsg, ErrConflict, ErrInvalidArgument } from '../../../protocol/errors.ts';
import { headerString, readJson, textResponse } from '../../common/http.ts';
import type { ObjectCtx } from '../objects.ts';
import type { CompletePart } from '../storage/storage.ts';
import { MPT_PART_NUM_MAX, validPartNum } from '../storage/uploads.ts';
import type { TargetNode } from '../target.ts';

export const ActMptUpload = 'mpt-upload';
export const ActMptComplete = 'mpt-complete';
export const ActMptAbort = 'mpt-abort';
export const QPARAM_UPLOAD_ID = 'uploadId';
export const QPARAM_PART_NUMBER = 'partNumber';

/** Is this native object request a multipart one (POST, or anything with `uploadId`)? */
export function isNativeMpt(req: HttpRequest): boolean {
  return req.method === 'POST' || req.query.has(QPARAM_UPLOAD_ID);
}

function writePolicy(ctx: ObjectCtx): 'immediate' | 'delayed' {
  return ctx.fsyncPut ? 'immediate' : 'delayed';
}

export async function nativeMpt(target: TargetNode, ctx: ObjectCtx, req: HttpRequest): Promise<HttpResponse> {
  const uploadId = req.query.get(QPARAM_UPLOAD_ID);
  if (req.method !== 'DELETE' && target.txns.destroying(ctx.bck.provider, ctx.bck.name)) {
    throw new ErrConflict(`bucket ${ctx.bck.provider}://${ctx.bck.name} is being destroyed`);
  }
  switch (req.method) {
    case 'POST': {
      const msg = (await readJson(req)) as { action?: unknown; value?: unknown } | undefined;
      if (msg === null || typeof msg !== 'object' || typeof msg.action !== 'string') throw new ErrBadActMsg('expected an action message {"action": ...}');
      if (msg.action === ActMptUpload) {
        if (uploadId !== null) throw new ErrInvalidArgument(`${ActMptUpload} takes no ${QPARAM_UPLOAD_ID}`);
        return textResponse(200, await ctx.storage.mptCreate(ctx.bck, ctx.objName, {}));
      }
      if (msg.action === ActMptComplete) {
        if (uploadId === null) throw new ErrInvalidArgument(`${ActMptComplete} requires query ${QPARAM_UPLOAD_ID}`);
        const parts = completeParts(msg.value);
        const meta = await ctx.storage.mptComplete(ctx.bck, ctx.objName, uploadId, parts, { versioning: ctx.props.versioning.enabled, writePolicy: writePolicy(ctx) });
        await target.forwardIfMisplaced(ctx);
        return { status: 200, headers: { etag: `"${meta.customMd.ETag ?? ''}"` } };
      }
      throw new ErrBadActMsg(`invalid action "${msg.action}" for POST /v1/objects (expected ${ActMptUpload} or ${ActMptComplete})`);
    }
    case 'PUT': {
      const num = validPartNum(req.query.get(QPARAM_PART_NUMBER));
      const cl = headerString(req, 'content-length');
      const contentLength = cl === undefined ? undefined : Number(cl);
      if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) throw new ErrInvalidArgument(`invalid Content-Length "${cl}"`);
      const part = await ctx.storage.mptPutPart(ctx.bck, ctx.objName, uploadId!, num, req.body, { contentLength, writePolicy: writePolicy(ctx) });
      return { status: 200, headers: { etag: `"${part.md5}"` } };
    }
    case 'DELETE': {
      const msg = (await readJson(req)) as { action?: unknown } | undefined;
      if (msg !== undefined && (msg === null || typeof msg !== 'object' || msg.action !== ActMptAbort)) {
        throw new ErrBadActMsg(`invalid action for DELETE with ${QPARAM_UPLOAD_ID} (expected ${ActMptAbort})`);
      }
      await ctx.storage.mptAbort(ctx.bck, ctx.objName, uploadId!);
      return { status: 200 };
    }
    default:
      throw new ErrInvalidArgument(`${req.method} with ${QPARAM_UPLOAD_ID} is not a multipart request`);
  }
}

/** `value: [{"part-number": N, "etag": ""}]` (etag optional: '' is not checked). */
function completeParts(value: unknown): CompletePart[] {
  if (!Array.isArray(value) || value.length === 0) throw new ErrBadActMsg(`${ActMptComplete}: value must be a non-empty list of {"part-number": N, "etag": "..."}`);
  return value.map((v: unknown) => {
    const p = v as { 'part-number'?: unknown; etag?: unknown } | null;
    const n = p?.['part-number'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MPT_PART_NUM_MAX) {
      throw new ErrBadActMsg(`${ActMptComplete}: invalid "part-number" ${JSON.stringify(n)} (1..${MPT_PART_NUM_MAX})`);
    }
    const etag = p?.etag ?? '';
    if (typeof etag !== 'string') throw new ErrBadActMsg(`${ActMptComplete}: "etag" of part ${n} must be a string`);
    return { num: n, etag };
  });
}
