// Creates the bucket and writes the objects a GET run reads: random bytes, the same bytes to the
// cluster and to the baselines' directory. Not measured.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { HttpClient, isOk, jsonBody, mustSend } from './http-client.ts';
import { bucketPath, objectPath } from './objects.ts';

export const PRELOAD_CONCURRENCY = 16;

export async function createBucket(client: HttpClient, baseUrl: string, bucket: string): Promise<void> {
  await mustSend(client, 'POST', baseUrl + bucketPath(bucket), jsonBody({ action: 'create-bck' }));
}

/** Writes objects 0..count-1 to the cluster and, when given, under baselineRoot at the same URL path. */
export async function preloadObjects(opts: {
  client: HttpClient;
  baseUrl: string;
  bucket: string;
  count: number;
  sizeBytes: number;
  baselineRoot: string | undefined;
}): Promise<void> {
  if (opts.baselineRoot) await fsp.mkdir(path.join(opts.baselineRoot, 'v1', 'objects', opts.bucket), { recursive: true });
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < opts.count) {
      const i = next++;
      const body = randomBytes(opts.sizeBytes);
      const p = objectPath(opts.bucket, i);
      const r = await opts.client.send('PUT', opts.baseUrl + p, { body, expectContinue: true, collect: true });
      if (!isOk(r.status)) throw new Error(`preload PUT ${p} → ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
      if (opts.baselineRoot) await fsp.writeFile(path.join(opts.baselineRoot, p), body);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PRELOAD_CONCURRENCY, opts.count) }, loop));
}
