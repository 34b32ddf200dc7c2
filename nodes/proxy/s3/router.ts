// S3 API at the proxy (AIS ais/prxs3.go s3Handler): service, bucket and listing requests are served
// here; object requests go to the HRW target (relayed, so clients that do not follow redirects work
// unmodified).
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { ErrMethodNotAllowed } from '../../../protocol/errors.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { ProxyNode } from '../proxy.ts';
import { s3Bck } from './bucket.ts';
import {
  bucketLocationS3, createBucketS3, deleteBucketS3, getBucketAclS3, getBucketVersioningS3, headBucketS3, listBucketsS3,
  putBucketAclS3, putBucketVersioningS3, unsupported, unsupportedSubresource,
} from './buckets.ts';
import { deleteObjectsS3 } from './delete-multi.ts';
import { listObjectsS3 } from './list.ts';
import { verifyS3Auth } from './auth.ts';
import { relayObjectS3 } from './relay.ts';
import { listUploadsS3 } from './uploads.ts';
import { listObjectVersionsS3 } from './versions.ts';

const SERVICE_METHODS = ['GET'];
const BUCKET_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'POST'];
const OBJECT_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'POST'];

export class ProxyS3 {
  constructor(readonly proxy: ProxyNode) {}

  async handle(s3In: S3Request): Promise<HttpResponse> {
    // SigV4 first (helper D, auth.ts): a signed streaming body comes back wrapped in its chunk checker
    const s3 = await verifyS3Auth(this.proxy.core, s3In);
    const { req } = s3;
    if (s3.bucket === '') {
      if (req.method !== 'GET') throw new ErrMethodNotAllowed(req.method, req.rawPath, SERVICE_METHODS);
      return listBucketsS3(this.proxy, s3);
    }
    if (s3.key === '') return this.#bucket(s3);
    if (!OBJECT_METHODS.includes(req.method)) throw new ErrMethodNotAllowed(req.method, req.rawPath, OBJECT_METHODS);
    return relayObjectS3(this.proxy.core, s3, s3Bck(this.proxy.core, s3.bucket));
  }

  async #bucket(s3: S3Request): Promise<HttpResponse> {
    const { req } = s3;
    const q = req.query;
    const { core } = this.proxy;
    if (!BUCKET_METHODS.includes(req.method)) throw new ErrMethodNotAllowed(req.method, req.rawPath, BUCKET_METHODS);
    // CreateBucket is the one bucket request for a bucket that does not exist yet
    if (req.method === 'PUT' && !q.has('versioning') && !q.has('acl') && unsupportedSubresource(q) === undefined) return createBucketS3(this.proxy, s3);
    const b = s3Bck(core, s3.bucket);
    const sub = unsupportedSubresource(q);
    if (sub !== undefined) unsupported(req.method, sub, b.bck.name);
    switch (req.method) {
      case 'HEAD':
        return headBucketS3(this.proxy, s3);
      case 'GET':
        if (q.has('location')) return bucketLocationS3(this.proxy, s3);
        if (q.has('acl')) return getBucketAclS3();
        if (q.has('versioning')) return getBucketVersioningS3(b);
        if (q.has('uploads')) return listUploadsS3(core, s3, b);
        if (q.has('versions')) return listObjectVersionsS3(core, s3, b);
        return listObjectsS3(core, s3, b);
      case 'PUT':
        if (q.has('versioning')) return putBucketVersioningS3(this.proxy, s3, b);
        return putBucketAclS3(this.proxy, s3);
      case 'POST':
        if (q.has('delete')) return deleteObjectsS3(core, s3, b);
        throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET', 'HEAD', 'PUT', 'DELETE']);
      default:
        if (q.has('delete')) return deleteObjectsS3(core, s3, b);
        return deleteBucketS3(this.proxy, s3, b);
    }
  }
}
