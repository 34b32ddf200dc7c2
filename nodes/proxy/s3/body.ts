// Small request bodies the proxy reads itself (DeleteObjects, CreateBucketConfiguration, versioning,
// ACLs): bounded, and checked against the digests the client sent with them (Content-MD5, a hex
// x-amz-content-sha256) before anything acts on them.
import { s3Err } from '../../../protocol/s3/errors.ts';
import { headerString, readBody } from '../../common/http.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { S3Request } from '../../common/s3-frontend.ts';

const SHA256_HEX_RE = /^[0-9a-f]{64}$/;

export async function readS3Body(core: NodeCore, s3: S3Request, limit: number): Promise<Buffer> {
  const body = await readBody(s3.req, limit);
  const md5 = headerString(s3.req, 'content-md5');
  if (md5 !== undefined) {
    const raw = Buffer.from(md5.trim(), 'base64');
    if (raw.length !== 16 || raw.toString('base64') !== md5.trim()) throw s3Err.invalidDigest('The Content-MD5 you specified was invalid.');
    if ((await core.env.workers.cksum('md5', body)) !== raw.toString('hex')) throw s3Err.badDigest('The Content-MD5 you specified did not match what we received.');
  }
  // UNSIGNED-PAYLOAD and the streaming markers are not digests of the body
  const sha = headerString(s3.req, 'x-amz-content-sha256')?.toLowerCase();
  if (sha !== undefined && SHA256_HEX_RE.test(sha) && (await core.env.workers.cksum('sha256', body)) !== sha) {
    throw s3Err.sha256Mismatch("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return body;
}
