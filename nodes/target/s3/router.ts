// S3 API at the target: object requests relayed (or redirected) here by a proxy.
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { TargetNode } from '../target.ts';

export class TargetS3 {
  constructor(readonly target: TargetNode) {}

  async handle(s3: S3Request): Promise<HttpResponse> {
    throw s3Err.notImplemented(`${s3.req.method} ${s3.req.rawPath}: not implemented yet`);
  }
}
