// PutObject: the body (nodes/common/s3/payload.ts: aws-chunked decoded, integrity headers verified
// before it ends) streams into Storage.put with its MD5 computed on the way; the ETag (that MD5) and
// the S3 metadata from the request headers are committed with the object, in one index write. The
// answer echoes the verified x-amz-checksum-* values.
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { ErrConflict } from '../../../protocol/errors.ts';
import { MD_ETAG, s3CustomMdFromHeaders } from '../../../protocol/s3/meta.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { ObjectCtx } from '../objects.ts';
import type { TargetNode } from '../target.ts';
import { s3Payload } from '../../common/s3/payload.ts';
import { checkUserMeta, quoteEtag } from './headers.ts';

/** Refuses writes into a bucket that is being destroyed (its data is about to go). */
export function checkWritable(target: TargetNode, ctx: ObjectCtx): void {
  if (target.txns.destroying(ctx.bck.provider, ctx.bck.name)) throw new ErrConflict(`bucket ${ctx.bck.provider}://${ctx.bck.name} is being destroyed`);
}

export async function putS3Object(target: TargetNode, ctx: ObjectCtx, s3: S3Request): Promise<HttpResponse> {
  checkWritable(target, ctx);
  const md = s3CustomMdFromHeaders(s3.req.headers);
  checkUserMeta(md);
  const p = s3Payload(target.core.env, s3.req); // aws-chunked decoded; Content-MD5, x-amz-checksum-* verified
  await ctx.storage.put(ctx.bck, ctx.objName, p.body, {
    cksumType: ctx.props.checksum.type,
    contentLength: p.contentLength,
    customMd: md,
    // the verified x-amz-checksum-* too: GET answers them to `x-amz-checksum-mode: ENABLED`
    customMdAtCommit: () => ({ [MD_ETAG]: p.md5(), ...p.checksums() }),
    versioning: ctx.props.versioning.enabled,
    writePolicy: ctx.fsyncPut ? 'immediate' : 'delayed',
  });
  await target.forwardIfMisplaced(ctx);
  return { status: 200, headers: { etag: quoteEtag(p.md5()), 'content-length': '0', ...p.checksums() } };
}
