// A hex `x-amz-content-sha256` on a request whose body the proxy itself consumes or relays without
// s3Payload (DeleteObjects, CompleteMultipartUpload, bucket-level PUTs): the signature covers that
// hash, so the body must match it. A pass-through that errors at the end instead of ending.
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { pipeDraining } from './pipe.ts';

export function verifyBodySha256(src: Readable, hexWanted: string): Readable {
  const hash = createHash('sha256');
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback): void {
      if (hash.digest('hex') === hexWanted.toLowerCase()) cb();
      else cb(s3Err.sha256Mismatch("The provided 'x-amz-content-sha256' header does not match what was computed."));
    },
  });
  pipeDraining(src, out);
  return out;
}
