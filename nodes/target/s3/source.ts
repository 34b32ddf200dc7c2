// Copy sources (CopyObject, UploadPartCopy): `x-amz-copy-source` parsed, and the source object opened
// wherever it is — read locally when this target is its HRW owner (get-from-neighbor first while a
// rebalance settles), else fetched from the owner through its native API (`GET /v1/objects/<b>/<o>`,
// with `Range`), so a copy between two targets streams and never buffers the object.
import { Readable } from 'node:stream';
import { Hdr, type CksumType } from '../../../protocol/apc.ts';
import { ErrObjNotFound, ErrPeerUnreachable, ErrRangeNotSatisfiable, ErrRemote } from '../../../protocol/errors.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { validateObjName } from '../../../protocol/names.ts';
import { isCksumType } from '../../../runtime/cksum/cksum.ts';
import type { Snode } from '../../../protocol/smap.ts';
import type { HttpClientResponse } from '../../../runtime/env/types.ts';
import { QPARAM_SMAP_VERSION } from '../../common/redirect.ts';
import type { ObjMeta } from '../storage/storage.ts';
import type { TargetNode } from '../target.ts';

export const HDR_COPY_SOURCE = 'x-amz-copy-source';
/** Redirects followed when the owner we asked says the object moved on (a rebalance is settling). */
export const COPY_SOURCE_REDIRECTS_MAX = 2;
/** Waiting for the owner's answer headers (and between body chunks) of a remote copy source. */
export const COPY_SOURCE_TIMEOUT_MS = 60_000;

export interface CopySourceRef {
  bucket: string;
  key: string;
}

export interface CopySource {
  /** The source object's metadata (`size` is the whole object's). */
  meta: ObjMeta;
  /** The bytes: the whole object, or the requested range. */
  body: Readable;
  /** Bytes in `body`. */
  size: number;
}

/**
 * `x-amz-copy-source: [/]<bucket>/<url-encoded key>[?versionId=null]`. Only the current version
 * exists (buckets are unversioned to S3): any other versionId is InvalidArgument, as S3 answers.
 */
export function parseCopySource(header: string | undefined): CopySourceRef {
  if (header === undefined || header === '') throw s3Err.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const q = header.indexOf('?');
  const rawPath = q < 0 ? header : header.slice(0, q);
  if (q >= 0) {
    const params = new URLSearchParams(header.slice(q + 1));
    const v = params.get('versionId');
    if (v !== null && v !== 'null') throw s3Err.invalidArgument('Invalid version id specified');
  }
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw s3Err.invalidArgument(`invalid percent-encoding in ${HDR_COPY_SOURCE} "${header}"`);
  }
  if (path.startsWith('/')) path = path.slice(1);
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw s3Err.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  }
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/**
 * Opens a copy source. `range` (inclusive end) must lie inside the object (else InvalidRange, 416).
 * Errors: NoSuchBucket, NoSuchKey, InvalidRange; a peer that cannot be asked is 503.
 */
export async function openCopySource(target: TargetNode, src: CopySourceRef, range?: { start: number; end: number }): Promise<CopySource> {
  validateObjName(src.key);
  const ctx = target.objectCtx('ais', src.bucket, src.key); // NoSuchBucket by our BMD
  const owner = target.core.ownerOf(ctx.bck, src.key);
  const cs = owner === undefined || owner.daemon_id === target.core.id ? await openLocal(target, src, range) : await openRemote(target, owner, src, range);
  // Whoever reads the body sees its errors; one left unread and destroyed (a failed precondition, a
  // refused PUT) must not crash the process with an unhandled 'error' (undici emits one on destroy).
  cs.body.on('error', () => {});
  return cs;
}

/** Gives up a copy source without reading it (releases the owner's connection or the file). */
export function releaseCopySource(cs: CopySource): void {
  cs.body.destroy();
}

function checkRange(range: { start: number; end: number } | undefined, size: number, key: string): void {
  if (range === undefined) return;
  const ok = Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && range.start >= 0 && range.start <= range.end && range.end < size;
  if (!ok) throw new ErrRangeNotSatisfiable(`range ${range.start}-${range.end} is not satisfiable for "${key}" of ${size} bytes`, size);
}

async function openLocal(target: TargetNode, src: CopySourceRef, range: { start: number; end: number } | undefined): Promise<CopySource> {
  const bck = { provider: 'ais', name: src.bucket };
  if (target.storage.head(bck, src.key) === undefined && target.xacts.reb.active) await target.gfn.fetch(bck, src.key);
  const head = target.storage.head(bck, src.key);
  if (head === undefined) throw new ErrObjNotFound(`ais://${src.bucket}`, src.key);
  checkRange(range, head.size, src.key);
  const got = await target.storage.get(bck, src.key, range);
  const size = range ? range.end - range.start + 1 : got.meta.size;
  const body = got.data !== undefined ? Readable.from([Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength)], { objectMode: false }) : got.stream!;
  return { meta: got.meta, body, size };
}

async function openRemote(target: TargetNode, owner: Snode, src: CopySourceRef, range: { start: number; end: number } | undefined): Promise<CopySource> {
  const { core } = target;
  const path = `/v1/objects/${encodeURIComponent(src.bucket)}/${encodeURIComponent(src.key)}`;
  const q = new URLSearchParams({ provider: 'ais', pid: core.id, [QPARAM_SMAP_VERSION]: String(core.owner.version('smap')) });
  let url = `${owner.public_net.direct_url}${path}?${q.toString()}`;
  const headers: Record<string, string> = {};
  if (range) headers.range = `bytes=${range.start}-${range.end}`;
  for (let redirects = 0; ; redirects++) {
    let res: HttpClientResponse;
    try {
      res = await core.env.net.request({ method: 'GET', url, headers, timeoutMs: COPY_SOURCE_TIMEOUT_MS });
    } catch (e) {
      throw new ErrPeerUnreachable(`copy source ${src.bucket}/${src.key}: t[${owner.daemon_id}] cannot be reached: ${(e as Error).message}`);
    }
    const location = one(res.headers.location);
    if (res.status === 307 && location !== undefined && redirects < COPY_SOURCE_REDIRECTS_MAX) {
      drain(res.body);
      url = location;
      continue;
    }
    if (res.status === 200 || res.status === 206) {
      const meta = metaFromHeaders(res.headers, src.key);
      if (res.status === 200 && range) {
        // the owner ignored the range (it cannot, but a short object must not become a bad part)
        discard(res.body);
        throw new ErrRangeNotSatisfiable(`range ${range.start}-${range.end} of "${src.key}": the owner sent the whole object`, meta.size);
      }
      if (res.status === 206 && range && (range.end >= meta.size || Number(one(res.headers['content-length'])) !== range.end - range.start + 1)) {
        discard(res.body);
        throw new ErrRangeNotSatisfiable(`range ${range.start}-${range.end} is not satisfiable for "${src.key}" of ${meta.size} bytes`, meta.size);
      }
      return { meta, body: res.body, size: range ? range.end - range.start + 1 : meta.size };
    }
    const text = await readText(res.body);
    if (res.status === 404) throw new ErrObjNotFound(`ais://${src.bucket}`, src.key);
    if (res.status === 416) {
      const m = /\/(\d+)$/.exec(one(res.headers['content-range']) ?? '');
      throw new ErrRangeNotSatisfiable(`range ${range?.start}-${range?.end} is not satisfiable for "${src.key}"`, m ? Number(m[1]) : undefined);
    }
    let err: { tcode?: unknown; message?: unknown } = {};
    try {
      err = JSON.parse(text) as typeof err;
    } catch {
      // not an AIS error body: keep the text
    }
    const message = typeof err.message === 'string' ? err.message : text;
    if (res.status === 503) throw new ErrPeerUnreachable(`copy source ${src.bucket}/${src.key} at t[${owner.daemon_id}]: ${message}`);
    throw new ErrRemote(typeof err.tcode === 'string' ? err.tcode : 'ErrRemote', res.status, `copy source ${src.bucket}/${src.key} at t[${owner.daemon_id}]: ${message}`);
  }
}

/** ObjMeta from the owner's native GET headers (AIS property headers + Content-Range for a range). */
function metaFromHeaders(h: Record<string, string | string[] | undefined>, key: string): ObjMeta {
  const cr = one(h['content-range']);
  const whole = cr !== undefined ? /\/(\d+)$/.exec(cr) : null;
  const size = whole ? Number(whole[1]) : Number(one(h['content-length']));
  if (!Number.isSafeInteger(size) || size < 0) throw new ErrRemote('ErrRemote', 502, `copy source "${key}": the owner sent no size`);
  const t = one(h[Hdr.cksumType]);
  const cksumType: CksumType = t !== undefined && isCksumType(t) ? t : 'none';
  const customMd: Record<string, string> = {};
  const custom = h[Hdr.customMd];
  for (const kv of custom === undefined ? [] : Array.isArray(custom) ? custom : [custom]) {
    const eq = kv.indexOf('=');
    if (eq > 0) customMd[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const lm = Date.parse(one(h['last-modified']) ?? '');
  return {
    size,
    cksumType,
    cksumValue: cksumType === 'none' ? '' : (one(h[Hdr.cksumValue]) ?? ''),
    version: one(h[Hdr.version]) ?? '',
    atimeNs: one(h[Hdr.atime]) ?? '0',
    mtimeMs: Number.isFinite(lm) ? lm : 0,
    customMd,
  };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

function drain(body: Readable): void {
  body.on('error', () => {});
  body.resume();
}

/** An error body (AIS JSON, small): read at most this much of it. */
const ERROR_BODY_BYTES_MAX = 64 * 1024;

async function readText(body: Readable): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      if (n < ERROR_BODY_BYTES_MAX) parts.push(c);
      n += c.length;
    }
  } catch {
    // the connection dropped: what we have is the message
  }
  return Buffer.concat(parts).toString('utf8');
}
