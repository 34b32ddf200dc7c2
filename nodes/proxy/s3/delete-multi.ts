// DeleteObjects (`POST /s3/<b>?delete`; DELETE is accepted too, as AIS): each key is deleted on its
// HRW target through the native API, a bounded number at a time. As S3, a key that does not exist
// counts as deleted; only real failures are `<Error>` entries, and quiet mode lists only those.
import { ErrNoTargets, ShoalError } from '../../../protocol/errors.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { parseS3Xml, xmlText, type XmlObject } from '../../../protocol/s3/xml.ts';
import { validateObjName } from '../../../protocol/names.ts';
import type { HttpResponse } from '../../../runtime/http/types.ts';
import type { NodeCore } from '../../common/node-core.ts';
import { QPARAM_SMAP_VERSION } from '../../common/redirect.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import { xmlAnswer, type S3Bck } from './bucket.ts';
import { NULL_VERSION_ID } from './versions.ts';
import { readRemoteBody, remoteToS3Error } from './remote.ts';
import { readS3Body } from './body.ts';

/** S3's limit per request. */
export const DELETE_OBJECTS_MAX = 1000;
export const DELETE_CONCURRENCY = 16;
export const DELETE_TIMEOUT_MS = 60_000;
/** 1000 keys of up to 1 KiB, escaped: comfortably below this. */
const DELETE_BODY_BYTES_MAX = 8 * 1024 * 1024;
/** Moved-on redirects followed per key while a rebalance settles. */
const DELETE_REDIRECTS_MAX = 3;

interface Outcome {
  key: string;
  versionId?: string;
  error?: { code: string; message: string };
}

export async function deleteObjectsS3(core: NodeCore, s3: S3Request, b: S3Bck): Promise<HttpResponse> {
  // Content-MD5 is optional here (the JS SDK sends a CRC32 instead), but a wrong one is refused
  const body = await readS3Body(core, s3, DELETE_BODY_BYTES_MAX);
  const doc = parseS3Xml(body, 'Delete');
  const objs = doc.Object;
  if (!Array.isArray(objs) || objs.length === 0) throw s3Err.malformedXML('<Delete> lists no <Object>');
  if (objs.length > DELETE_OBJECTS_MAX) throw s3Err.malformedXML(`<Delete> lists ${objs.length} objects; at most ${DELETE_OBJECTS_MAX} are allowed`);
  const reqs: { key: string; versionId?: string }[] = objs.map((o) => {
    if (typeof o !== 'object' || Array.isArray(o)) throw s3Err.malformedXML('<Object> has no <Key>');
    const key = xmlText(o, 'Key');
    if (key === undefined) throw s3Err.malformedXML('<Object> has no <Key>');
    const versionId = xmlText(o, 'VersionId');
    return versionId === undefined ? { key } : { key, versionId };
  });
  const quiet = (xmlText(doc, 'Quiet') ?? '').trim().toLowerCase() === 'true';

  const outcomes: Outcome[] = new Array<Outcome>(reqs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < reqs.length; i = next++) outcomes[i] = await deleteOne(core, b, reqs[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, reqs.length) }, worker));

  const deleted: XmlObject[] = [];
  const errors: XmlObject[] = [];
  for (const o of outcomes) {
    const x: XmlObject = { Key: o.key };
    if (o.versionId !== undefined) x.VersionId = o.versionId;
    if (o.error) errors.push({ ...x, Code: o.error.code, Message: o.error.message });
    else if (!quiet) deleted.push(x);
  }
  return xmlAnswer('DeleteResult', { Deleted: deleted, Error: errors });
}

async function deleteOne(core: NodeCore, b: S3Bck, r: { key: string; versionId?: string }): Promise<Outcome> {
  const out: Outcome = r.versionId === undefined ? { key: r.key } : { key: r.key, versionId: r.versionId };
  try {
    if (r.versionId !== undefined && r.versionId !== NULL_VERSION_ID) throw s3Err.invalidArgument(`Invalid version id specified: "${r.versionId}"`);
    validateObjName(r.key);
    await nativeDelete(core, b, r.key);
  } catch (e) {
    out.error = e instanceof ShoalError ? { code: e.s3Code, message: e.message } : { code: 'InternalError', message: e instanceof Error ? e.message : String(e) };
  }
  return out;
}

/** `DELETE /v1/objects/<b>/<key>` at the owner; the whole key is one path segment (%2F), so keys
 * with `//` or a trailing `/` survive the native path split. */
async function nativeDelete(core: NodeCore, b: S3Bck, key: string): Promise<void> {
  const smap = core.owner.smap;
  const target = core.ownerOf(b.bck, key);
  if (!smap || !target) throw new ErrNoTargets();
  const q = new URLSearchParams({ provider: b.bck.provider, pid: core.id, utm: String(core.env.clock.realtimeNs()), [QPARAM_SMAP_VERSION]: smap.version });
  let url = `${target.public_net.direct_url}/v1/objects/${encodeURIComponent(b.bck.name)}/${encodeURIComponent(key)}?${q.toString()}`;
  for (let hop = 0; ; hop++) {
    const res = await core.env.net.request({ method: 'DELETE', url, timeoutMs: DELETE_TIMEOUT_MS });
    const text = await readRemoteBody(res.body);
    if (res.status === 200 || res.status === 204 || res.status === 404) return;
    const location = res.headers.location;
    if (res.status === 307 && typeof location === 'string' && hop < DELETE_REDIRECTS_MAX) {
      url = location;
      continue;
    }
    throw remoteToS3Error(res.status, text, b.bck.name);
  }
}
