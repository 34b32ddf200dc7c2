// Errors that come back from another node's native API (the primary for bucket changes, a target for
// a DeleteObjects key) as AIS JSON, turned into errors that carry the S3 code a client expects.
import { ErrBckAlreadyExists, ErrBckNotFound, ErrInvalidBckName, ShoalError } from '../../../protocol/errors.ts';

/** AIS error bodies are small; more is not read. */
export const REMOTE_BODY_BYTES_MAX = 64 * 1024;

/** S3 codes by status, for tcodes without a class of their own here. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'InvalidArgument',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  409: 'OperationAborted',
  429: 'SlowDown',
  503: 'ServiceUnavailable',
  504: 'RequestTimeout',
  507: 'InsufficientStorage',
};

export class ErrRemoteS3 extends ShoalError {
  constructor(readonly tcode: string, readonly status: number, override readonly s3Code: string, message: string) {
    super(message);
  }
}

/** Reads at most REMOTE_BODY_BYTES_MAX of a reply body (the rest is drained). */
export async function readRemoteBody(body: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const buf = c as Buffer;
    n += buf.length;
    if (n <= REMOTE_BODY_BYTES_MAX) chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function remoteToS3Error(status: number, text: string, bucket: string): ShoalError {
  let tcode = '';
  let message = text;
  try {
    const e = JSON.parse(text) as { tcode?: unknown; message?: unknown };
    if (typeof e.tcode === 'string') tcode = e.tcode;
    if (typeof e.message === 'string') message = e.message;
  } catch {
    // not JSON: keep the raw text as the message
  }
  switch (tcode) {
    case 'ErrBckAlreadyExists':
      return new ErrBckAlreadyExists(bucket);
    case 'ErrBckNotFound':
      return new ErrBckNotFound(bucket);
    case 'ErrInvalidBckName':
      return new ErrInvalidBckName(message);
    default:
      return new ErrRemoteS3(tcode || 'ErrRemote', status, CODE_BY_STATUS[status] ?? 'InternalError', message || `status ${status}`);
  }
}
