// `--op rebalance`: a closed-loop GET load in the bench process (C request loops over objects
// 0..N-1), once while the cluster is idle for a fixed time and once for exactly as long as a
// rebalance runs (it stops when `stop` resolves). Bounded by time and by count either way.
import { randomInt } from 'node:crypto';
import { Histogram } from './histogram.ts';
import { HttpClient, isOk } from './http-client.ts';
import { objectPath } from './objects.ts';

export const GET_OPS_MAX = 5_000_000;
const ERROR_SAMPLES_MAX = 5;

export interface GetRun {
  phase: string;
  ops: number;
  errors: number;
  errorSamples: string[];
  /** performance.now() of the first and last failed GET (to place them against the trigger). */
  errorFirstAt: number | undefined;
  errorLastAt: number | undefined;
  elapsedMs: number;
  opsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function getLoad(opts: {
  phase: string;
  baseUrl: string;
  bucket: string;
  objects: number;
  sizeBytes: number;
  concurrency: number;
  durationMs: number;
  stop?: Promise<unknown>;
}): Promise<GetRun> {
  const client = new HttpClient({ maxSockets: opts.concurrency });
  const h = new Histogram();
  const errorSamples: string[] = [];
  let ops = 0;
  let errors = 0;
  let issued = 0;
  let stopped = false;
  opts.stop?.then(
    () => void (stopped = true),
    () => void (stopped = true),
  );
  let errorFirstAt: number | undefined;
  let errorLastAt: number | undefined;
  const noteError = (s: string): void => {
    errors++;
    errorLastAt = performance.now();
    errorFirstAt ??= errorLastAt;
    if (errorSamples.length < ERROR_SAMPLES_MAX) errorSamples.push(s);
  };
  const t0 = performance.now();
  const deadline = t0 + opts.durationMs;
  const loop = async (): Promise<void> => {
    while (!stopped && issued < GET_OPS_MAX && performance.now() < deadline) {
      issued++;
      const url = opts.baseUrl + objectPath(opts.bucket, randomInt(opts.objects));
      const start = performance.now();
      try {
        const r = await client.send('GET', url, { collectErrors: true });
        if (!isOk(r.status)) noteError(`GET ${url} → ${r.status} ${aisError(r.body)}`);
        else if (r.bytes !== opts.sizeBytes) noteError(`GET ${url}: ${r.bytes} bytes, expected ${opts.sizeBytes}`);
        else {
          ops++;
          h.record((performance.now() - start) * 1000);
        }
      } catch (err) {
        noteError(`GET ${url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, loop));
  } finally {
    client.close();
  }
  const elapsedMs = performance.now() - t0;
  return {
    phase: opts.phase,
    ops,
    errors,
    errorSamples,
    errorFirstAt,
    errorLastAt,
    elapsedMs,
    opsPerSec: ops / (elapsedMs / 1000),
    p50Ms: h.percentileUs(50) / 1000,
    p90Ms: h.percentileUs(90) / 1000,
    p99Ms: h.percentileUs(99) / 1000,
    maxMs: h.maxUs / 1000,
  };
}

/** `tcode at node: message` of an AIS error body, or its first bytes. */
export function aisError(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const e = JSON.parse(text) as { tcode?: string; node?: string; message?: string };
    if (e.tcode !== undefined || e.node !== undefined) return `${e.tcode ?? '?'} at ${e.node ?? '?'}: ${e.message ?? ''}`;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
