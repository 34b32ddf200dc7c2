// S3 API at the proxy: service, bucket and listing requests are served here; object requests go to
// the HRW target (relayed, so clients that do not follow redirects work unmodified).
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { ProxyNode } from '../proxy.ts';

export class ProxyS3 {
  constructor(readonly proxy: ProxyNode) {}

  async handle(s3: S3Request): Promise<HttpResponse> {
    throw s3Err.notImplemented(`${s3.req.method} ${s3.req.rawPath}: not implemented yet`);
  }
}
