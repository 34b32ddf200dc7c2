// S3 API at the target: object requests relayed (or redirected) here by a proxy. Multipart requests
// (`?uploads`, `?uploadId`) go to mpt.ts; the rest is routed as the native `#objects` routes are
// (routing-Smap catch-up, get-from-neighbor / moved-on while a rebalance settles, delete everywhere,
// a misplaced PUT handed to its owner), so S3 I/O is as safe during a rebalance as native I/O.
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { ErrMethodNotAllowed, ErrObjNotFound } from '../../../protocol/errors.ts';
import { validateBckName, validateObjName } from '../../../protocol/names.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { relay } from '../../common/redirect.ts';
import type { S3Request } from '../../common/s3-frontend.ts';
import type { ObjectCtx } from '../objects.ts';
import type { TargetNode } from '../target.ts';
import { copyS3Object } from './copy.ts';
import { readObject } from './get.ts';
import { handleMpt } from './mpt.ts';
import { putS3Object } from './put.ts';
import { HDR_COPY_SOURCE } from './source.ts';
import { objectSubresource, objectSubresourceRequest } from './subresource.ts';

const OBJECT_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'POST'] as const;

/** Buckets are unversioned to S3: the only version is `null` (the current object). */
function checkVersionId(s3: S3Request): void {
  const v = s3.req.query.get('versionId');
  if (v !== null && v !== 'null') throw s3Err.invalidArgument('Invalid version id specified');
}

export class TargetS3 {
  constructor(readonly target: TargetNode) {}

  async handle(s3: S3Request): Promise<HttpResponse> {
    const { req } = s3;
    if (s3.bucket === '' || s3.key === '') throw s3Err.invalidRequest(`${req.method} ${req.rawPath}: service and bucket requests are served by proxies`);
    if (req.query.has('uploads') || req.query.has('uploadId')) return handleMpt(this.target, s3);
    if (!(OBJECT_METHODS as readonly string[]).includes(req.method)) throw new ErrMethodNotAllowed(req.method, req.rawPath, OBJECT_METHODS);
    await this.target.catchUp(req);
    validateBckName(s3.bucket);
    validateObjName(s3.key);
    const ctx = this.target.objectCtx('ais', s3.bucket, s3.key);
    checkVersionId(s3);
    const sub = objectSubresource(req.query);
    if (sub !== undefined) return objectSubresourceRequest(ctx, s3, sub);
    switch (req.method) {
      case 'GET':
      case 'HEAD':
        return this.#read(ctx, s3, req.method === 'HEAD');
      case 'PUT':
        if (req.headers[HDR_COPY_SOURCE] !== undefined) return copyS3Object(this.target, ctx, s3);
        return putS3Object(this.target, ctx, s3);
      case 'DELETE':
        return this.#delete(ctx, s3);
      default:
        throw s3Err.notImplemented(`${req.method} ${req.rawPath}?${req.query.toString()} is not implemented`);
    }
  }

  async #read(ctx: ObjectCtx, s3: S3Request, head: boolean): Promise<HttpResponse> {
    try {
      const moved = await this.target.fromNeighbor(ctx, s3.req);
      return moved ? await this.#follow(moved, s3) : await readObject(ctx, s3, head);
    } catch (e) {
      // a rebalance moved it away between the lookup and the read: go after it
      if (!(e instanceof ErrObjNotFound)) throw e;
      const moved = await this.target.fromNeighbor(ctx, s3.req);
      if (moved === undefined) throw e;
      return this.#follow(moved, s3);
    }
  }

  /**
   * The object moved on (this target was its owner by an older Smap): S3 clients do not follow a 307,
   * so the request (bodiless: GET, HEAD, DELETE) is relayed to the current owner, once.
   */
  async #follow(moved: HttpResponse, s3: S3Request): Promise<HttpResponse> {
    const location = moved.headers?.location;
    if (moved.status !== 307 || typeof location !== 'string') return moved;
    return relay(this.target.core.env, s3.req, location);
  }

  /** 204 whether or not the key existed (S3 semantics). */
  async #delete(ctx: ObjectCtx, s3: S3Request): Promise<HttpResponse> {
    try {
      const res = await this.target.deleteRouted(ctx, s3.req);
      if (res.status !== 200) return this.#follow(res, s3); // moved on: the current owner deletes it
    } catch (e) {
      if (!(e instanceof ErrObjNotFound)) throw e;
    }
    return { status: 204 };
  }
}
