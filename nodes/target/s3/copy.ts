// CopyObject (`PUT` with `x-amz-copy-source`): the source opened wherever it lives (source.ts), its
// preconditions checked, its bytes streamed through Storage.put like any PUT (so a copy is never
// partly visible), metadata copied (directive COPY, the default) or taken from the request (REPLACE).
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { MD_ETAG, s3CustomMdFromHeaders } from '../../../protocol/s3/meta.ts';
import { headerString } from '../../common/http.ts';
import { s3XmlResponse, type S3Request } from '../../common/s3-frontend.ts';
import type { ObjectCtx } from '../objects.ts';
import type { TargetNode } from '../target.ts';
import { md5Through } from './body.ts';
import { checkCopySourceConditions } from './conditional.ts';
import { checkUserMeta, isoDate, quoteEtag } from './headers.ts';
import { checkWritable } from './put.ts';
import { HDR_COPY_SOURCE, openCopySource, parseCopySource, releaseCopySource } from './source.ts';

export const HDR_METADATA_DIRECTIVE = 'x-amz-metadata-directive';

export async function copyS3Object(target: TargetNode, ctx: ObjectCtx, s3: S3Request): Promise<HttpResponse> {
  const { req } = s3;
  checkWritable(target, ctx);
  const src = parseCopySource(headerString(req, HDR_COPY_SOURCE));
  const directive = (headerString(req, HDR_METADATA_DIRECTIVE) ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw s3Err.invalidArgument(`Unknown metadata directive "${directive}"`);
  if (src.bucket === s3.bucket && src.key === s3.key && directive !== 'REPLACE') {
    throw s3Err.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  let md: Record<string, string> | undefined;
  if (directive === 'REPLACE') {
    md = s3CustomMdFromHeaders(req.headers);
    checkUserMeta(md);
  }
  const source = await openCopySource(target, src);
  try {
    checkCopySourceConditions(req, source.meta);
  } catch (e) {
    releaseCopySource(source);
    throw e;
  }
  if (md === undefined) {
    md = { ...source.meta.customMd };
    delete md[MD_ETAG]; // recomputed from the bytes (a multipart source's `-N` ETag does not describe a copy)
  }
  const b = md5Through(target.core.env, source.body);
  const meta = await ctx.storage
    .put(ctx.bck, ctx.objName, b.body, {
      cksumType: ctx.props.checksum.type,
      contentLength: source.size,
      customMd: md,
      customMdAtCommit: () => ({ [MD_ETAG]: b.md5() }),
      versioning: ctx.props.versioning.enabled,
      writePolicy: ctx.fsyncPut ? 'immediate' : 'delayed',
    })
    .catch((e: unknown) => {
      b.body.destroy(); // a PUT refused before it read the source must not leave the owner's answer open
      throw e;
    });
  await target.forwardIfMisplaced(ctx);
  return s3XmlResponse(200, 'CopyObjectResult', { ETag: quoteEtag(b.md5()), LastModified: isoDate(meta.mtimeMs) });
}
