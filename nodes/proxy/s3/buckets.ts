// Bucket-level S3 requests served by the proxy itself: ListBuckets, CreateBucket, HeadBucket,
// DeleteBucket (S3 semantics: only when empty), GetBucketLocation, and the minimal `?acl` and
// `?versioning` answers clients ask for. Sub-resources Shoal does not keep (policy, cors, ...) answer
// GET with S3's own "none configured" error, which SDKs and s3cmd treat as "not set".
import { bmdBuckets } from '../../../protocol/bmd.ts';
import { ErrS3, s3Err } from '../../../protocol/s3/errors.ts';
import { parseS3Xml, xmlText, type XmlObject } from '../../../protocol/s3/xml.ts';
import { validateBckName } from '../../../protocol/names.ts';
import type { HttpResponse } from '../../../runtime/http/types.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { ProxyNode } from '../proxy.ts';
import { listObjects } from '../list.ts';
import { isoTime, requestRegion, S3_OWNER, S3_PROVIDER, S3_REGION_DEFAULT, s3Bck, xmlAnswer, type S3Bck } from './bucket.ts';
import { bucketOnPrimary } from './primary.ts';
import { readS3Body } from './body.ts';

/** Bucket configuration bodies (CreateBucketConfiguration, VersioningConfiguration, ACLs) are tiny. */
const BUCKET_CONFIG_BYTES_MAX = 64 * 1024;
const NS_PER_MS = 1_000_000n;

/**
 * Sub-resources we keep no configuration for: the S3 code a GET answers when none is set
 * (undefined: NotImplemented). PUT and DELETE of any of them are NotImplemented.
 */
export const UNSUPPORTED_SUBRESOURCES: Readonly<Record<string, string | undefined>> = {
  policy: 'NoSuchBucketPolicy',
  cors: 'NoSuchCORSConfiguration',
  lifecycle: 'NoSuchLifecycleConfiguration',
  tagging: 'NoSuchTagSet',
  website: 'NoSuchWebsiteConfiguration',
  encryption: 'ServerSideEncryptionConfigurationNotFoundError',
  replication: 'ReplicationConfigurationNotFoundError',
  'object-lock': 'ObjectLockConfigurationNotFoundError',
  ownershipControls: 'OwnershipControlsNotFoundError',
  publicAccessBlock: 'NoSuchPublicAccessBlockConfiguration',
  logging: undefined,
  notification: undefined,
  accelerate: undefined,
  requestPayment: undefined,
  analytics: undefined,
  metrics: undefined,
  inventory: undefined,
  'intelligent-tiering': undefined,
  policyStatus: undefined,
};

export function unsupportedSubresource(q: URLSearchParams): string | undefined {
  for (const name of Object.keys(UNSUPPORTED_SUBRESOURCES)) if (q.has(name)) return name;
  return undefined;
}

export function unsupported(method: string, sub: string, bucket: string): never {
  const code = UNSUPPORTED_SUBRESOURCES[sub];
  if (method === 'GET' && code !== undefined) throw new ErrS3(code, 404, `bucket "${bucket}" has no ${sub} configuration`);
  throw s3Err.notImplemented(`${method} ?${sub} is not implemented`);
}

/** All buckets in one answer (`max-buckets` paging is not needed at BMD sizes); `prefix` filters. */
export function listBucketsS3(proxy: ProxyNode, s3: S3Request): HttpResponse {
  const prefix = s3.req.query.get('prefix') ?? '';
  const buckets = bmdBuckets(proxy.core.owner.bmd!)
    .filter((b) => b.provider === S3_PROVIDER && b.name.startsWith(prefix))
    .map((b) => ({ Name: b.name, CreationDate: isoTime(Number(BigInt(b.props.created) / NS_PER_MS)) }));
  const doc: XmlObject = { Owner: { ...S3_OWNER }, Buckets: { Bucket: buckets } };
  if (prefix !== '') doc.Prefix = prefix;
  return xmlAnswer('ListAllMyBucketsResult', doc);
}

export async function createBucketS3(proxy: ProxyNode, s3: S3Request): Promise<HttpResponse> {
  validateBckName(s3.bucket);
  const body = await readS3Body(proxy.core, s3, BUCKET_CONFIG_BYTES_MAX);
  // LocationConstraint is ignored (one cluster, one place), but the body must be well-formed
  if (body.length > 0) parseS3Xml(body, 'CreateBucketConfiguration');
  await bucketOnPrimary(proxy, s3.bucket, { op: 'create' });
  return { status: 200, headers: { location: `/${s3.bucket}` } };
}

export function headBucketS3(proxy: ProxyNode, s3: S3Request): HttpResponse {
  return { status: 200, headers: { 'x-amz-bucket-region': requestRegion(proxy.core, s3.req) } };
}

export async function deleteBucketS3(proxy: ProxyNode, s3: S3Request, b: S3Bck): Promise<HttpResponse> {
  const page = await listObjects(proxy.core, b.bck, { pagesize: 1, props: 'name' }, () => '');
  if (page.entries.length > 0) throw s3Err.bucketNotEmpty(b.bck.name);
  await bucketOnPrimary(proxy, b.bck.name, { op: 'destroy' });
  return { status: 204 };
}

/** `<LocationConstraint>`: empty for us-east-1, as S3. */
export function bucketLocationS3(proxy: ProxyNode, s3: S3Request): HttpResponse {
  const region = requestRegion(proxy.core, s3.req);
  return xmlAnswer('LocationConstraint', { '#text': region === S3_REGION_DEFAULT ? '' : region });
}

export function getBucketAclS3(): HttpResponse {
  const grant: XmlObject = {
    Grantee: { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'CanonicalUser', ...S3_OWNER },
    Permission: 'FULL_CONTROL',
  };
  return xmlAnswer('AccessControlPolicy', { Owner: { ...S3_OWNER }, AccessControlList: { Grant: [grant] } });
}

/** Accepted and ignored: the owner has full control, there is no one else. */
export async function putBucketAclS3(proxy: ProxyNode, s3: S3Request): Promise<HttpResponse> {
  await readS3Body(proxy.core, s3, BUCKET_CONFIG_BYTES_MAX);
  return { status: 200 };
}

/** Status from the bucket's versioning prop (AIS enables it by default, so new buckets say Enabled). */
export function getBucketVersioningS3(b: S3Bck): HttpResponse {
  return xmlAnswer('VersioningConfiguration', { Status: b.props.versioning.enabled ? 'Enabled' : 'Suspended' });
}

export async function putBucketVersioningS3(proxy: ProxyNode, s3: S3Request, b: S3Bck): Promise<HttpResponse> {
  const doc = parseS3Xml(await readS3Body(proxy.core, s3, BUCKET_CONFIG_BYTES_MAX), 'VersioningConfiguration');
  const status = xmlText(doc, 'Status');
  if (status !== 'Enabled' && status !== 'Suspended') throw s3Err.malformedXML(`<Status> must be Enabled or Suspended, not "${status ?? ''}"`);
  await bucketOnPrimary(proxy, b.bck.name, { op: 'versioning', enabled: status === 'Enabled' });
  return { status: 200 };
}
