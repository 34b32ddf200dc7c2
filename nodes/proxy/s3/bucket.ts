// What every S3 handler at the proxy needs first: the bucket, looked up by name only (S3 has no
// providers; Shoal's S3 buckets are `ais://`), the region we answer, and the XML answer shape.
import { bmdGet, type Bprops } from '../../../protocol/bmd.ts';
import { ErrBckNotFound } from '../../../protocol/errors.ts';
import { validateBckName } from '../../../protocol/names.ts';
import { S3_XMLNS, type XmlObject } from '../../../protocol/s3/xml.ts';
import type { HttpRequest, HttpResponse } from '../../../runtime/http/types.ts';
import { headerString } from '../../common/http.ts';
import type { NodeCore } from '../../common/node-core.ts';
import { s3XmlResponse } from '../../common/s3-frontend.ts';

export const S3_PROVIDER = 'ais';
/** The region we answer when neither config nor the client's signature names one (SDKs assume it). */
export const S3_REGION_DEFAULT = 'us-east-1';
/** Owner shown in ListBuckets, ACLs and listings: one cluster, one owner. */
export const S3_OWNER = { ID: 'shoal', DisplayName: 'shoal' } as const;

export interface S3Bck {
  bck: { provider: string; name: string };
  props: Bprops;
}

/** The bucket of an S3 request: a bad name is InvalidBucketName, an unknown one NoSuchBucket. */
export function s3Bck(core: NodeCore, name: string): S3Bck {
  validateBckName(name);
  const props = bmdGet(core.owner.bmd!, S3_PROVIDER, name);
  if (!props) throw new ErrBckNotFound(name);
  return { bck: { provider: S3_PROVIDER, name }, props };
}

/**
 * The region we answer (HeadBucket's x-amz-bucket-region, GetBucketLocation): the node config's
 * `s3.region` when the admin set one; else the region in the request's SigV4 credential scope
 * (`<key>/<date>/<region>/s3/aws4_request`, Authorization header or presigned X-Amz-Credential);
 * else us-east-1. Answering the client's own region keeps botocore's region-redirect logic from ever
 * trying another endpoint; AIS answers the literal "ais", which no SDK knows.
 */
export function requestRegion(core: NodeCore, req: HttpRequest): string {
  const configured = core.cfg.s3?.region;
  if (configured !== undefined && configured !== '') return configured;
  const auth = headerString(req, 'authorization') ?? '';
  const cred = /Credential=([^,\s]+)/.exec(auth)?.[1] ?? req.query.get('X-Amz-Credential') ?? '';
  const region = cred.split('/')[2];
  return region !== undefined && /^[a-z0-9-]{1,64}$/.test(region) ? region : S3_REGION_DEFAULT;
}

/** S3 timestamps: ISO-8601 UTC with milliseconds (`2009-10-12T17:50:30.000Z`). */
export function isoTime(unixMs: number): string {
  return new Date(unixMs).toISOString();
}

/** A 200 with an S3 document in the S3 namespace (as AWS answers; some XML clients match on it). */
export function xmlAnswer(root: string, doc: XmlObject, headers: Record<string, string> = {}): HttpResponse {
  return s3XmlResponse(200, root, { '@_xmlns': S3_XMLNS, ...doc }, headers);
}
