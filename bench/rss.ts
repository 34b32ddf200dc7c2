// `--op rss`: C concurrent clients PUT then GET one large object each (streamed from a generator,
// never held whole in memory); the targets' peak RSS is checked against a budget.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HttpClient, isOk } from './http-client.ts';
import { objectPath } from './objects.ts';

export const RSS_BUDGET_MIB = 256;
const STREAM_CHUNK_BYTES = 1024 * 1024;

/** A readable of `size` bytes built from one shared random chunk. */
export function generatedBody(sizeBytes: number, chunk: Buffer): () => Readable {
  return () =>
    Readable.from(
      (function* gen(): Generator<Buffer> {
        for (let left = sizeBytes; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
      })(),
      { objectMode: false },
    );
}

export interface RssRun {
  clients: number;
  sizeBytes: number;
  putMs: number;
  getMs: number;
  putMiBPerSec: number;
  getMiBPerSec: number;
  errors: number;
  errorSamples: string[];
}

export async function runRss(opts: { baseUrl: string; bucket: string; clients: number; sizeBytes: number }): Promise<RssRun> {
  const client = new HttpClient({ maxSockets: opts.clients });
  const chunk = randomBytes(STREAM_CHUNK_BYTES);
  const errorSamples: string[] = [];
  let errors = 0;
  const note = (s: string): void => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(s);
  };
  const phase = async (method: 'PUT' | 'GET'): Promise<number> => {
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.clients }, async (_, i) => {
        const url = opts.baseUrl + objectPath(opts.bucket, i);
        try {
          const r =
            method === 'PUT'
              ? await client.send('PUT', url, { body: generatedBody(opts.sizeBytes, chunk), bodyBytes: opts.sizeBytes, expectContinue: true })
              : await client.send('GET', url);
          if (!isOk(r.status)) note(`${method} ${url} → ${r.status}`);
          else if (method === 'GET' && r.bytes !== opts.sizeBytes) note(`GET ${url}: ${r.bytes} bytes, expected ${opts.sizeBytes}`);
        } catch (err) {
          note(`${method} ${url}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
    return performance.now() - t0;
  };
  try {
    const putMs = await phase('PUT');
    const getMs = await phase('GET');
    const total = (opts.clients * opts.sizeBytes) / 1024 ** 2;
    return {
      clients: opts.clients,
      sizeBytes: opts.sizeBytes,
      putMs,
      getMs,
      putMiBPerSec: total / (putMs / 1000),
      getMiBPerSec: total / (getMs / 1000),
      errors,
      errorSamples,
    };
  } finally {
    client.close();
  }
}
