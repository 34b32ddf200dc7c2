// An S3 request body (PutObject, UploadPart) as the bytes to store: `aws-chunked` decoded, and every
// integrity claim the client made (Content-MD5, x-amz-checksum-<alg> header or trailer, hex
// x-amz-content-sha256) checked as the last bytes pass. A mismatch makes the stream error instead of
// ending, so Storage.put removes its work file and nothing is committed. The MD5 for the ETag is
// computed on the way (through the worker pool for big bodies).
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Env, StreamHasher } from '../../../runtime/env/types.ts';
import type { HttpRequest } from '../../../runtime/http/types.ts';
import { ErrIncompleteBody, assert } from '../../../protocol/errors.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { AWS_CHUNKED, AwsChunkedDecoder, isStreamingMode } from '../../../protocol/s3/aws-chunked.ts';
import {
  type S3ChecksumAlg,
  type S3Checksummer,
  checksumAlgOfHeader,
  checksumHeader,
  checksumMismatch,
  createS3Checksummer,
  parseChecksumAlg,
  validateChecksumValue,
} from '../../../protocol/s3/checksum.ts';
import { pipeDraining } from './pipe.ts';

export const HDR_CONTENT_SHA256 = 'x-amz-content-sha256';
export const HDR_DECODED_LENGTH = 'x-amz-decoded-content-length';
export const HDR_TRAILER = 'x-amz-trailer';
export const HDR_SDK_CHECKSUM_ALG = 'x-amz-sdk-checksum-algorithm';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Most body bytes passed on before their MD5/SHA-256 caught up (memory per request is bounded by it). */
export const HASH_LAG_BYTES_MAX = 8 * 1024 * 1024;

export interface S3Payload {
  /** The bytes to store (decoded); errors instead of ending when any check fails. */
  body: Readable;
  /** Decoded length when the client declared it (Content-Length, or x-amz-decoded-content-length). */
  contentLength: number | undefined;
  /** Lowercase hex MD5 of the decoded bytes; valid once `body` has ended. */
  md5(): string;
  /** `x-amz-checksum-<alg>` → base64 for every S3 checksum computed (and verified); valid once ended. */
  checksums(): Record<string, string>;
}

export interface S3PayloadOptions {
  /** Skip the MD5 (a caller that has no use for an ETag); `md5()` then returns ''. */
  noMd5?: boolean;
}

function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseLength(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v.trim())) throw s3Err.invalidArgument(`invalid ${name} "${v}"`);
  return Number(v.trim());
}

/** Is the body aws-chunked (by x-amz-content-sha256 or a Content-Encoding token)? */
export function isAwsChunked(req: HttpRequest): boolean {
  if (isStreamingMode(header(req, HDR_CONTENT_SHA256))) return true;
  const ce = header(req, 'content-encoding');
  return ce !== undefined && ce.split(',').some((t) => t.trim().toLowerCase() === AWS_CHUNKED);
}

interface Expectations {
  md5Base64: string | undefined;
  sha256Hex: string | undefined;
  /** Checksum algorithm → expected base64 (from a header) or undefined (trailer, or compute only). */
  checksums: Map<S3ChecksumAlg, string | undefined>;
  /** Trailer names the client announced (x-amz-trailer). */
  trailerAlgs: Map<string, S3ChecksumAlg>;
}

/** Reads and validates every integrity header up front: a malformed one fails before any byte is read. */
function expectations(req: HttpRequest, chunked: boolean): Expectations {
  const exp: Expectations = { md5Base64: undefined, sha256Hex: undefined, checksums: new Map(), trailerAlgs: new Map() };
  const md5 = header(req, 'content-md5');
  if (md5 !== undefined) {
    const raw = /^[A-Za-z0-9+/]{22}==$/.test(md5.trim()) ? Buffer.from(md5.trim(), 'base64') : undefined;
    if (raw?.length !== 16) throw s3Err.invalidDigest('The Content-MD5 you specified was invalid.');
    exp.md5Base64 = md5.trim();
  }
  const sha = header(req, HDR_CONTENT_SHA256);
  if (sha !== undefined && sha !== UNSIGNED_PAYLOAD && !isStreamingMode(sha)) {
    if (!/^[0-9a-fA-F]{64}$/.test(sha)) {
      throw s3Err.invalidArgument(`${HDR_CONTENT_SHA256} must be ${UNSIGNED_PAYLOAD}, STREAMING-*, or a valid sha256 value`);
    }
    if (chunked) throw s3Err.invalidArgument(`${HDR_CONTENT_SHA256} must be a STREAMING-* value for an aws-chunked body`);
    exp.sha256Hex = sha.toLowerCase();
  }
  for (const [name, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const alg = checksumAlgOfHeader(name);
    if (alg === undefined) continue;
    const value = Array.isArray(v) ? v.join(',') : v;
    validateChecksumValue(alg, value);
    exp.checksums.set(alg, value);
  }
  const trailer = header(req, HDR_TRAILER);
  if (trailer !== undefined) {
    if (!chunked) throw s3Err.invalidRequest(`${HDR_TRAILER} requires an aws-chunked body`);
    for (const t of trailer.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')) {
      const alg = checksumAlgOfHeader(t);
      if (alg === undefined) throw s3Err.invalidRequest(`unsupported trailer "${t}"`);
      exp.trailerAlgs.set(t, alg);
      if (!exp.checksums.has(alg)) exp.checksums.set(alg, undefined);
    }
  }
  // S3 accepts one checksum per request ("Expecting a single x-amz-checksum- header").
  if (exp.checksums.size > 1) throw s3Err.invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const sdkAlg = header(req, HDR_SDK_CHECKSUM_ALG);
  if (sdkAlg !== undefined && exp.checksums.size === 0) exp.checksums.set(parseChecksumAlg(sdkAlg), undefined);
  return exp;
}

export function s3Payload(env: Env, req: HttpRequest, opts: S3PayloadOptions = {}): S3Payload {
  const chunked = isAwsChunked(req);
  const exp = expectations(req, chunked);
  const declared = chunked ? parseLength(header(req, HDR_DECODED_LENGTH), HDR_DECODED_LENGTH) : parseLength(header(req, 'content-length'), 'Content-Length');

  const md5: StreamHasher | undefined = opts.noMd5 === true ? undefined : env.workers.hashStream('md5', declared);
  const sha256: StreamHasher | undefined = exp.sha256Hex !== undefined ? env.workers.hashStream('sha256', declared) : undefined;
  let summers: S3Checksummer[] = [];
  let ready: Promise<void> | undefined;
  const init = (): Promise<void> =>
    (ready ??= Promise.all([...exp.checksums.keys()].map((a) => createS3Checksummer(a))).then((s) => {
      summers = s;
    }));

  let md5Hex: string | undefined;
  const computed: Record<string, string> = {};
  let decodedBytes = 0;
  /** md5/sha256 work of the pieces pushed so far (awaited at the end, and when it lags too far behind). */
  let hashing: Promise<unknown> = Promise.resolve();
  /** Bytes pushed downstream whose hashing has not finished: the pool hashes while the disk writes. */
  let lagBytes = 0;

  const take = (piece: Uint8Array, out: Transform): void => {
    decodedBytes += piece.length;
    if (declared !== undefined && decodedBytes > declared) {
      throw new ErrIncompleteBody(`body has more than the ${declared} bytes declared`);
    }
    for (const s of summers) s.update(piece);
    const waits: Promise<void>[] = [];
    if (md5) waits.push(md5.update(piece));
    if (sha256) waits.push(sha256.update(piece));
    if (waits.length > 0) {
      lagBytes += piece.length;
      const done = Promise.all(waits).then(() => {
        lagBytes -= piece.length;
      });
      hashing = Promise.all([hashing, done]);
      hashing.catch(() => {}); // not awaited until later: a failure must not be an unhandled rejection meanwhile
    }
    out.push(piece);
  };
  const decoder = chunked ? new AwsChunkedDecoder({ onData: (d) => take(d, body) }) : undefined;

  const finish = async (): Promise<void> => {
    let trailers = new Map<string, string>();
    if (decoder) trailers = decoder.end().trailers;
    if (declared !== undefined && decodedBytes !== declared) {
      throw new ErrIncompleteBody(`You did not provide the number of bytes specified (${declared}); got ${decodedBytes}`);
    }
    await hashing;
    for (const s of summers) {
      const value = s.digest();
      let expected = exp.checksums.get(s.alg);
      if (expected === undefined) {
        const name = checksumHeader(s.alg);
        const t = exp.trailerAlgs.has(name) ? trailers.get(name) : undefined;
        if (exp.trailerAlgs.has(name) && t === undefined) throw s3Err.invalidRequest(`trailer ${name} announced in ${HDR_TRAILER} but not sent`);
        if (t !== undefined) {
          validateChecksumValue(s.alg, t);
          expected = t;
        }
      }
      if (expected !== undefined && expected !== value) throw checksumMismatch(s.alg);
      computed[checksumHeader(s.alg)] = value;
    }
    if (md5) {
      md5Hex = await md5.digest();
      if (exp.md5Base64 !== undefined && Buffer.from(md5Hex, 'hex').toString('base64') !== exp.md5Base64) {
        throw s3Err.badDigest('The Content-MD5 you specified did not match what we received.');
      }
    } else if (exp.md5Base64 !== undefined) {
      throw s3Err.invalidRequest('Content-MD5 given but MD5 disabled for this request');
    }
    if (sha256 && exp.sha256Hex !== (await sha256.digest())) {
      throw s3Err.sha256Mismatch("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  };

  const body = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      init()
        .then(async () => {
          if (decoder) decoder.push(chunk);
          else take(chunk, body);
          // Waiting for every chunk's hash before reading the next serialised the pool and the disk
          // (S3 PUT ran at ~1/3 of native); a bounded lag lets them overlap.
          if (lagBytes > HASH_LAG_BYTES_MAX) await hashing;
        })
        .then(() => cb(), cb);
    },
    flush(cb: TransformCallback): void {
      init()
        .then(finish)
        .then(() => cb(), cb);
    },
  });

  pipeDraining(req.body, body);

  return {
    body,
    contentLength: declared,
    md5: () => {
      if (md5 === undefined) return '';
      assert(md5Hex !== undefined, 's3Payload.md5() before the body ended');
      return md5Hex;
    },
    checksums: () => ({ ...computed }),
  };
}
