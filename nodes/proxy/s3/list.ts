// ListObjects (v1) and ListObjectsV2 (`list-type=2`) at the proxy: parameters, paging markers and the
// ListBucketResult document; the walk itself is walk.ts.
import type { HttpResponse } from '../../../runtime/http/types.ts';
import type { LsoPageEntry } from '../../../protocol/intra.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import type { XmlObject } from '../../../protocol/s3/xml.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { NodeCore } from '../../common/node-core.ts';
import { isoTime, S3_OWNER, xmlAnswer, type S3Bck } from './bucket.ts';
import { decodeContinuationToken, encodeContinuationToken, encoder, maxKeysParam, urlEncodingParam } from './params.ts';
import { walkS3, type WalkItem } from './walk.ts';

const NS_PER_MS = 1_000_000n;

/** One `Contents` (or, with `version`, one `Version`) element. */
export function objectXml(e: LsoPageEntry, key: string, withOwner: boolean, version = false): XmlObject {
  const lastMs = e.lm ?? (e.a ? Number(BigInt(e.a) / NS_PER_MS) : 0);
  const x: XmlObject = { Key: key };
  if (version) {
    x.VersionId = 'null';
    x.IsLatest = 'true';
  }
  x.LastModified = isoTime(lastMs);
  if (e.e !== undefined) x.ETag = `"${e.e}"`;
  x.Size = e.s ?? 0;
  x.StorageClass = 'STANDARD';
  if (withOwner) x.Owner = { ...S3_OWNER };
  return x;
}

export function splitItems(items: WalkItem[], enc: (s: string) => string, toXml: (e: LsoPageEntry, key: string) => XmlObject): { contents: XmlObject[]; prefixes: XmlObject[] } {
  const contents: XmlObject[] = [];
  const prefixes: XmlObject[] = [];
  for (const it of items) {
    if (it.obj) contents.push(toXml(it.obj, enc(it.key)));
    else prefixes.push({ Prefix: enc(it.key) });
  }
  return { contents, prefixes };
}

export async function listObjectsS3(core: NodeCore, s3: S3Request, b: S3Bck): Promise<HttpResponse> {
  const q = s3.req.query;
  const listType = q.get('list-type');
  if (listType !== null && listType !== '2') throw s3Err.invalidArgument(`Invalid list-type "${listType}" (only 2 is supported)`);
  const v2 = listType === '2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = maxKeysParam(q, 'max-keys');
  const url = urlEncodingParam(q);
  const enc = encoder(url);
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after') ?? '';
  const marker = q.get('marker') ?? '';
  let after: string;
  if (v2) after = token !== null ? decodeContinuationToken(token) : startAfter;
  else after = marker;

  const { items, truncated } = await walkS3(core, b.bck, { prefix, delimiter, after, maxKeys });
  const fetchOwner = q.get('fetch-owner') === 'true';
  const { contents, prefixes } = splitItems(items, enc, (e, key) => objectXml(e, key, v2 ? fetchOwner : true));
  const last = items[items.length - 1]?.key;

  const doc: XmlObject = { Name: b.bck.name, Prefix: enc(prefix) };
  if (v2) {
    if (token !== null) doc.ContinuationToken = token;
    if (truncated && last !== undefined) doc.NextContinuationToken = encodeContinuationToken(last);
    if (startAfter !== '') doc.StartAfter = enc(startAfter);
    doc.KeyCount = items.length;
  } else {
    doc.Marker = enc(marker);
    // as S3: NextMarker only with a delimiter; otherwise the client continues from the last key
    if (truncated && delimiter !== '' && last !== undefined) doc.NextMarker = enc(last);
  }
  doc.MaxKeys = maxKeys;
  if (delimiter !== '') doc.Delimiter = enc(delimiter);
  doc.IsTruncated = truncated ? 'true' : 'false';
  if (url) doc.EncodingType = 'url';
  doc.Contents = contents;
  doc.CommonPrefixes = prefixes;
  return xmlAnswer('ListBucketResult', doc);
}
