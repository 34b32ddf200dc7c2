// ListMultipartUploads (`GET /s3/<b>?uploads`): each upload lives on the HRW target of its key, so
// every target is asked (`s3.mpt.list` over intra-control) and the sorted answers are merged by
// (key, uploadId), folded by the delimiter and cut at max-uploads.
import { ErrNoTargets } from '../../../protocol/errors.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { MptMsg, type MptListReq, type MptListRes, type MptUploadInfo } from '../../../protocol/s3/mpt.ts';
import type { XmlObject } from '../../../protocol/s3/xml.ts';
import { activeTargets } from '../../../protocol/smap.ts';
import type { HttpResponse } from '../../../runtime/http/types.ts';
import type { NodeCore } from '../../common/node-core.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import { isoTime, S3_OWNER, xmlAnswer, type S3Bck } from './bucket.ts';
import { encoder, maxKeysParam, urlEncodingParam } from './params.ts';
import { commonPrefix } from './walk.ts';
import { compareUtf8 } from '../../target/storage/list.ts';

export const MPT_LIST_TIMEOUT_MS = 30_000;
/** Fan-out rounds per page (a folded prefix may cost one); past it the page ends truncated. */
const MPT_LIST_ROUNDS_MAX = 1_100;
/** Sorts after any upload id: "after every upload of this key". */
const AFTER_ALL = '\u{10FFFF}';

type Item = { upload: MptUploadInfo } | { prefix: string };

/** (key, uploadId) order, keys as UTF-8 bytes (the targets' and S3's order). */
function cmp(a: { key: string; id: string }, b: { key: string; id: string }): number {
  const k = compareUtf8(a.key, b.key);
  return k !== 0 ? k : compareUtf8(a.id, b.id);
}

function after(a: { key: string; id: string }, b: { key: string; id: string }): boolean {
  return cmp(a, b) > 0;
}

export async function listUploadsS3(core: NodeCore, s3: S3Request, b: S3Bck): Promise<HttpResponse> {
  const q = s3.req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxUploads = maxKeysParam(q, 'max-uploads');
  const url = urlEncodingParam(q);
  const enc = encoder(url);
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  // as S3: upload-id-marker only means something with a key-marker
  let cursor = { key: keyMarker, id: keyMarker === '' ? '' : uploadIdMarker === '' ? AFTER_ALL : uploadIdMarker };

  const items: Item[] = [];
  let truncated = false;
  if (maxUploads > 0) {
    rounds: for (let round = 0; ; round++) {
      if (round === MPT_LIST_ROUNDS_MAX) {
        truncated = true;
        break;
      }
      const limit = maxUploads - items.length + 1;
      const { uploads, more } = await fanOut(core, b, { bck: b.bck, prefix, keyMarker: cursor.key, uploadIdMarker: cursor.id, limit });
      for (const u of uploads) {
        if (!after({ key: u.key, id: u.uploadId }, cursor)) continue;
        const cp = commonPrefix(u.key, prefix, delimiter);
        // a prefix at or before the marker was listed on an earlier page (as S3): skip all of it
        const seen = cp !== undefined && compareUtf8(cp, cursor.key) <= 0;
        if (items.length === maxUploads && !seen) {
          truncated = true;
          break rounds;
        }
        if (cp !== undefined) {
          if (!seen) items.push({ prefix: cp });
          cursor = { key: cp + AFTER_ALL, id: '' };
          continue rounds;
        }
        items.push({ upload: u });
        cursor = { key: u.key, id: u.uploadId };
      }
      if (!more) break;
    }
  }

  const uploadsXml: XmlObject[] = [];
  const prefixesXml: XmlObject[] = [];
  for (const it of items) {
    if ('prefix' in it) prefixesXml.push({ Prefix: enc(it.prefix) });
    else {
      const u = it.upload;
      uploadsXml.push({ Key: enc(u.key), UploadId: u.uploadId, Initiator: { ...S3_OWNER }, Owner: { ...S3_OWNER }, StorageClass: 'STANDARD', Initiated: isoTime(u.initiatedMs) });
    }
  }
  const last = items[items.length - 1];
  const doc: XmlObject = { Bucket: b.bck.name, KeyMarker: enc(keyMarker), UploadIdMarker: uploadIdMarker };
  if (truncated && last !== undefined) {
    doc.NextKeyMarker = enc('prefix' in last ? last.prefix : last.upload.key);
    doc.NextUploadIdMarker = 'prefix' in last ? '' : last.upload.uploadId;
  }
  if (prefix !== '') doc.Prefix = enc(prefix);
  if (delimiter !== '') doc.Delimiter = enc(delimiter);
  doc.MaxUploads = maxUploads;
  doc.IsTruncated = truncated ? 'true' : 'false';
  if (url) doc.EncodingType = 'url';
  doc.Upload = uploadsXml;
  doc.CommonPrefixes = prefixesXml;
  return xmlAnswer('ListMultipartUploadsResult', doc);
}

/**
 * One page from every target, merged in (key, uploadId) order. `more`: some target may hold uploads
 * after the last one returned (it filled its limit), so the caller asks again from its cursor.
 */
async function fanOut(core: NodeCore, b: S3Bck, req: MptListReq): Promise<{ uploads: MptUploadInfo[]; more: boolean }> {
  const smap = core.owner.smap;
  const targets = smap ? Object.values(smap.tmap) : [];
  if (targets.length === 0) throw new ErrNoTargets();
  const active = new Set(smap ? activeTargets(smap) : []);
  const pages = await Promise.all(
    targets.map((t) => {
      const page = core.ctrl.request<MptListRes>(t.intra_control_net.direct_url, MptMsg.list, req, { timeoutMs: MPT_LIST_TIMEOUT_MS });
      // a target in maintenance that is gone has nothing left to list
      return active.has(t) ? page : page.catch((): MptListRes => ({ uploads: [] }));
    }),
  );
  let more = false;
  const all: MptUploadInfo[] = [];
  for (const p of pages) {
    if (!Array.isArray(p.uploads)) throw s3Err.invalidRequest(`bad ${MptMsg.list} answer from a target`);
    if (p.uploads.length >= req.limit) more = true;
    all.push(...p.uploads);
  }
  all.sort((x, y) => cmp({ key: x.key, id: x.uploadId }, { key: y.key, id: y.uploadId }));
  // one target's page may end before another's: only the part every full page covers is certain
  let uploads = all;
  if (more) {
    let bound: MptUploadInfo | undefined;
    for (const p of pages) {
      const lastOf = p.uploads[p.uploads.length - 1];
      if (p.uploads.length >= req.limit && lastOf && (bound === undefined || after({ key: bound.key, id: bound.uploadId }, { key: lastOf.key, id: lastOf.uploadId }))) bound = lastOf;
    }
    if (bound) uploads = all.filter((u) => !after({ key: u.key, id: u.uploadId }, { key: bound!.key, id: bound!.uploadId }));
  }
  return { uploads, more };
}
