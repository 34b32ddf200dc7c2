// ListObjectVersions (`GET /s3/<b>?versions`) for unversioned buckets: every object is its one
// current version, `VersionId` "null" (as S3 for a never-versioned bucket), paged by key-marker.
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import type { XmlObject } from '../../../protocol/s3/xml.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { NodeCore } from '../../common/node-core.ts';
import { xmlAnswer, type S3Bck } from './bucket.ts';
import { objectXml, splitItems } from './list.ts';
import { encoder, maxKeysParam, urlEncodingParam } from './params.ts';
import { walkS3 } from './walk.ts';

/** The only version id an object has here. */
export const NULL_VERSION_ID = 'null';

export async function listObjectVersionsS3(core: NodeCore, s3: S3Request, b: S3Bck): Promise<HttpResponse> {
  const q = s3.req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = maxKeysParam(q, 'max-keys');
  const url = urlEncodingParam(q);
  const enc = encoder(url);
  const keyMarker = q.get('key-marker') ?? '';
  const versionIdMarker = q.get('version-id-marker') ?? '';
  if (versionIdMarker !== '' && keyMarker === '') throw s3Err.invalidArgument('A version-id marker cannot be specified without a key marker.');
  if (versionIdMarker !== '' && versionIdMarker !== NULL_VERSION_ID) throw s3Err.invalidArgument(`Invalid version id specified: "${versionIdMarker}"`);
  // one version per key: after (key, "null") and after key are the same place

  const { items, truncated } = await walkS3(core, b.bck, { prefix, delimiter, after: keyMarker, maxKeys });
  const { contents, prefixes } = splitItems(items, enc, (e, key) => objectXml(e, key, true, true));
  const last = items[items.length - 1];

  const doc: XmlObject = { Name: b.bck.name, Prefix: enc(prefix), KeyMarker: enc(keyMarker), VersionIdMarker: versionIdMarker };
  if (truncated && last !== undefined) {
    doc.NextKeyMarker = enc(last.key);
    if (last.obj) doc.NextVersionIdMarker = NULL_VERSION_ID;
  }
  doc.MaxKeys = maxKeys;
  if (delimiter !== '') doc.Delimiter = enc(delimiter);
  doc.IsTruncated = truncated ? 'true' : 'false';
  if (url) doc.EncodingType = 'url';
  doc.Version = contents;
  doc.CommonPrefixes = prefixes;
  return xmlAnswer('ListVersionsResult', doc);
}
