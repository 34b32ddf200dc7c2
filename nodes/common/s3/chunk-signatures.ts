// Streaming SigV4 (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]): every aws-chunked chunk carries a
// signature chained on the previous one, seeded by the request's own signature. The proxy checks
// them as the body passes through unchanged; an input buffer is handed on only after every chunk it
// completes has verified, so a bad chunk (or trailer) never lets the body reach its final bytes and
// the target never commits it.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { AwsChunkedDecoder } from '../../../protocol/s3/aws-chunked.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { chunkSignature, trailerSignature } from '../../../protocol/s3/sigv4.ts';
import { pipeDraining } from './pipe.ts';

export const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

export interface ChunkSigningContext {
  signingKey: Uint8Array;
  amzDate: string;
  scope: string;
  /** The request's (seed) signature. */
  seedSignature: string;
  /** -TRAILER mode: the trailer section is signed too. */
  trailer: boolean;
}

function mismatch(what: string): Error {
  return s3Err.signatureDoesNotMatch(`The ${what} signature we calculated does not match the signature you provided.`);
}

/** A pass-through of `src` that errors (instead of ending) on any bad chunk or trailer signature. */
export function verifyChunkSignatures(src: Readable, ctx: ChunkSigningContext): Readable {
  let prev = ctx.seedSignature;
  let hash: Hash = createHash('sha256');
  let trailerChecked = false;
  const decoder = new AwsChunkedDecoder({
    onData: (d) => {
      hash.update(d);
    },
    onChunkEnd: (_size, sig) => {
      if (sig === undefined) throw s3Err.invalidRequest('malformed aws-chunked body: chunk without chunk-signature in a signed stream');
      const want = chunkSignature(ctx.signingKey, ctx.amzDate, ctx.scope, prev, hash.digest('hex'));
      hash = createHash('sha256');
      if (want !== sig) throw mismatch('chunk');
      prev = want;
    },
  });
  const checkTrailer = (): void => {
    if (trailerChecked || !decoder.done) return;
    trailerChecked = true;
    const { trailers } = decoder.end();
    if (!ctx.trailer) return;
    const sig = trailers.get(TRAILER_SIGNATURE);
    if (sig === undefined) throw s3Err.invalidRequest(`signed trailer stream without ${TRAILER_SIGNATURE}`);
    let text = '';
    for (const [k, v] of trailers) if (k !== TRAILER_SIGNATURE) text += `${k}:${v}\n`;
    if (trailerSignature(ctx.signingKey, ctx.amzDate, ctx.scope, prev, text) !== sig) throw mismatch('trailer');
  };
  const out = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      try {
        decoder.push(chunk);
        checkTrailer();
        cb(null, chunk);
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback): void {
      try {
        decoder.end();
        checkTrailer();
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  pipeDraining(src, out);
  return out;
}
