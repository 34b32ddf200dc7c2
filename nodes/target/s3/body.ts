// A copy source's bytes on their way into Storage.put with their MD5 (the S3 ETag) computed as they
// pass (through the worker pool for big batches, as for PutObject bodies). Client bodies go through
// nodes/common/s3/payload.ts instead (aws-chunked, Content-MD5, x-amz-checksum-*).
import { Transform, type Readable } from 'node:stream';
import type { Env } from '../../../runtime/env/types.ts';
import { assert } from '../../../protocol/errors.ts';

export interface Md5Body {
  body: Readable;
  /** Hex MD5 of every byte that passed; valid once `body` has ended. */
  md5(): string;
}

export function md5Through(env: Env, src: Readable): Md5Body {
  const hasher = env.workers.hashStream('md5');
  let digest: string | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      // the chunk goes on at once; taking the next one waits for the hasher (bounded work in flight)
      t.push(chunk);
      hasher.update(chunk).then(() => cb(), cb);
    },
    flush(cb) {
      hasher.digest().then((d) => {
        digest = d;
        cb();
      }, cb);
    },
  });
  // a source that errors (peer dropped) errors the body, so Storage.put commits nothing; a body
  // destroyed by its reader (the PUT refused) releases the source (an answer from the owner)
  src.on('error', (e) => t.destroy(e));
  t.on('error', () => {}); // its reader sees it; after the reader gave up, nobody needs to
  t.on('close', () => {
    if (!src.readableEnded) src.destroy();
  });
  src.pipe(t);
  return {
    body: t,
    md5: () => {
      assert(digest !== undefined, 'md5Through: MD5 read before the body ended');
      return digest;
    },
  };
}
