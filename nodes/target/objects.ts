// Object I/O at the target: PUT (streamed to disk, checksummed, atomically visible), GET (streamed,
// ranges), HEAD (AIS property headers), DELETE, PATCH (custom metadata).
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { Hdr } from '../../protocol/apc.ts';
import type { Bprops } from '../../protocol/bmd.ts';
import { ErrBadActMsg, ErrInvalidArgument, ErrMethodNotAllowed, ErrObjNotFound } from '../../protocol/errors.ts';
import type { CksumType } from '../../protocol/apc.ts';
import { isCksumType } from '../../runtime/cksum/cksum.ts';
import type { Storage, ObjMeta, BckRef } from './storage/storage.ts';
import { headerString, isTrue, readJson } from '../common/http.ts';
import { parseRange } from './range.ts';

export interface ObjectCtx {
  storage: Storage;
  bck: BckRef;
  props: Bprops;
  objName: string;
  /** `t[<id>]` for Ais-Location. */
  location: (meta: ObjMeta) => string;
  fsyncPut: boolean;
}

function propHeaders(meta: ObjMeta): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {
    [Hdr.atime]: meta.atimeNs,
    [Hdr.version]: meta.version,
    'last-modified': new Date(meta.mtimeMs).toUTCString(),
  };
  if (meta.cksumType !== 'none' && meta.cksumValue) {
    h[Hdr.cksumType] = meta.cksumType;
    h[Hdr.cksumValue] = meta.cksumValue;
  }
  const custom = Object.entries(meta.customMd).map(([k, v]) => `${k}=${v}`);
  if (custom.length > 0) h[Hdr.customMd] = custom;
  return h;
}

export async function putObject(ctx: ObjectCtx, req: HttpRequest): Promise<HttpResponse> {
  const cl = headerString(req, 'content-length');
  const contentLength = cl === undefined ? undefined : Number(cl);
  if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw new ErrInvalidArgument(`invalid Content-Length "${cl}"`);
  }
  const tIn = headerString(req, Hdr.cksumType);
  const vIn = headerString(req, Hdr.cksumValue);
  let expected: { type: CksumType; value: string } | undefined;
  if (tIn !== undefined || vIn !== undefined) {
    if (!tIn || !vIn) throw new ErrInvalidArgument(`both ${Hdr.cksumType} and ${Hdr.cksumValue} are required`);
    if (!isCksumType(tIn)) throw new ErrInvalidArgument(`invalid checksum type "${tIn}"`);
    if (tIn !== 'none') expected = { type: tIn, value: vIn.toLowerCase() };
  }
  const meta = await ctx.storage.put(ctx.bck, ctx.objName, req.body, {
    cksumType: ctx.props.checksum.type,
    expected,
    contentLength,
    versioning: ctx.props.versioning.enabled,
    writePolicy: ctx.fsyncPut ? 'immediate' : 'delayed',
  });
  return { status: 200, headers: propHeaders(meta) };
}

export async function getObject(ctx: ObjectCtx, req: HttpRequest): Promise<HttpResponse> {
  const head = ctx.storage.head(ctx.bck, ctx.objName);
  if (head === undefined) notFound(ctx);
  if (isTrue(req.query.get('validate-checksum'))) await ctx.storage.validate(ctx.bck, ctx.objName);
  const size = head.size;
  const range = parseRange(headerString(req, 'range'), size);
  const { meta, stream, data } = await ctx.storage.get(ctx.bck, ctx.objName, range);
  const body = data ?? stream;
  const headers = propHeaders(meta);
  headers['accept-ranges'] = 'bytes';
  headers['content-type'] = 'application/octet-stream';
  if (range) {
    // the checksum describes the whole object, not the returned bytes
    delete headers[Hdr.cksumType];
    delete headers[Hdr.cksumValue];
    headers['content-range'] = `bytes ${range.start}-${range.end}/${meta.size}`;
    headers['content-length'] = String(range.end - range.start + 1);
    return { status: 206, headers, body };
  }
  headers['content-length'] = String(meta.size);
  return { status: 200, headers, body };
}

export function headObject(ctx: ObjectCtx): HttpResponse {
  const meta = ctx.storage.head(ctx.bck, ctx.objName);
  if (meta === undefined) return notFound(ctx);
  const headers = propHeaders(meta);
  headers['content-length'] = String(meta.size);
  headers[Hdr.name] = ctx.objName;
  headers[Hdr.present] = 'true';
  headers[Hdr.location] = ctx.location(meta);
  headers['ais-size'] = String(meta.size);
  headers['accept-ranges'] = 'bytes';
  return { status: 200, headers };
}

function notFound(ctx: ObjectCtx): never {
  throw new ErrObjNotFound(`${ctx.bck.provider}://${ctx.bck.name}`, ctx.objName);
}

export async function deleteObject(ctx: ObjectCtx): Promise<HttpResponse> {
  await ctx.storage.delete(ctx.bck, ctx.objName, { sync: ctx.fsyncPut });
  return { status: 200 };
}

/** `PATCH /v1/objects/<b>/<o>` `{value: {k: v}}`; `set-new-custom=true` replaces all custom keys. */
export async function patchObject(ctx: ObjectCtx, req: HttpRequest): Promise<HttpResponse> {
  const body = (await readJson(req)) as { value?: unknown } | undefined;
  const value = body?.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ErrBadActMsg('expected {"value": {"key": "value", ...}}');
  const md: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new ErrBadActMsg(`custom metadata value of "${k}" must be a string`);
    md[k] = v;
  }
  await ctx.storage.setCustomMd(ctx.bck, ctx.objName, md, isTrue(req.query.get('set-new-custom')));
  return { status: 200 };
}

export function objectMethod(method: string, path: string): void {
  // POST: the native multipart actions (mpt/native.ts)
  if (!['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'POST'].includes(method)) throw new ErrMethodNotAllowed(method, path, ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'POST']);
}
