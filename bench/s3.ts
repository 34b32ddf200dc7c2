// `npm run bench -- --op s3`: the S3 API's cost against the native API, same cluster, same run, same
// client. PUT and GET of 4 KiB and 1 MiB objects through `<proxy>/s3/<bucket>/<key>` (relayed by the
// proxy to the owning target) vs `<proxy>/v1/objects/<bucket>/<obj>` (307 to the target, followed; 100-
// continue above 1 MiB as curl), then a 1 GiB multipart upload (64 × 16 MiB parts, 4 in flight) vs one
// native PUT of 1 GiB, and reading each back. Requests are unsigned: S3 auth is off by default.
import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { Histogram } from './histogram.ts';
import { HttpClient, isOk, mustSend } from './http-client.ts';
import { mergeResults, type LoadResult } from './load.ts';
import { table } from './report.ts';

export const S3_BENCH_SIZES_BYTES = [4 * 1024, 1024 * 1024] as const;
/** Objects per size the GETs read (PUTs overwrite the same names): bounded on disk, not one hot file. */
export const S3_BENCH_OBJECTS_MAX = 1000;
const S3_BENCH_BYTES_PER_SIZE_MAX = 256 * 1024 ** 2;
/** Requests per case whatever the duration, so a runaway loop still ends. */
export const S3_BENCH_OPS_PER_CASE_MAX = 2_000_000;
/** Untimed requests per API before the first case (JIT, sockets, page cache of the index). */
const WARMUP_OPS = 200;
export const S3_MPT_PART_BYTES = 16 * 1024 ** 2;
export const S3_MPT_CONCURRENCY = 4;
export const S3_MPT_BYTES_DEFAULT = 1024 ** 3;
/** One large transfer may take long on a slow disk; this only catches a hung cluster. */
const BIG_REQUEST_TIMEOUT_MS = 600_000;
const ERROR_SAMPLES_MAX = 5;
const EXPECT_CONTINUE_NATIVE_BYTES_MIN = 1024 * 1024;

export type S3BenchApi = 'native' | 's3';

export interface S3LoadCase extends LoadResult {
  api: S3BenchApi;
}

export interface S3BigResult {
  what: string;
  bytes: number;
  elapsedMs: number;
  mibPerSec: number;
}

export interface S3BenchReport {
  concurrency: number;
  durationMsPerCase: number;
  load: S3LoadCase[];
  /** s3 ÷ native per op and size (ops/s and p99). */
  ratios: { op: string; sizeBytes: number; opsPerSec: number | undefined; p99: number | undefined }[];
  big: S3BigResult[];
  bigRatios: { what: string; ratio: number | undefined }[];
}

export interface S3BenchOptions {
  client: HttpClient;
  baseUrl: string;
  bucket: string;
  concurrency: number;
  durationMs: number;
  objectsMax: number;
  mptBytes: number;
  log: (s: string) => void;
}

const sizeLabel = (n: number): string => (n >= 1024 ** 2 ? `${n / 1024 ** 2}MiB` : `${n / 1024}KiB`);
const keyOf = (size: number, i: number): string => `${sizeLabel(size)}/obj-${String(i).padStart(6, '0')}`;

function urlOf(api: S3BenchApi, baseUrl: string, bucket: string, key: string): string {
  const k = key.split('/').map(encodeURIComponent).join('/');
  return api === 's3' ? `${baseUrl}/s3/${bucket}/${k}` : `${baseUrl}/v1/objects/${bucket}/${k}`;
}

export function objectsFor(sizeBytes: number, objectsMax: number): number {
  return Math.max(1, Math.min(objectsMax, S3_BENCH_OBJECTS_MAX, Math.floor(S3_BENCH_BYTES_PER_SIZE_MAX / sizeBytes)));
}

/** A closed loop of `concurrency` requests for `durationMs` (and at most OPS_PER_CASE_MAX) in this process. */
async function loadCase(opts: S3BenchOptions & { api: S3BenchApi; op: 'put' | 'get'; sizeBytes: number; objects: number; payload: Buffer; opsMax?: number; durationMs: number }): Promise<S3LoadCase> {
  const client = new HttpClient({ maxSockets: opts.concurrency });
  const histogram = new Histogram();
  const errorSamples: string[] = [];
  let ops = 0;
  let bytes = 0;
  let errors = 0;
  let issued = 0;
  const opsMax = opts.opsMax ?? S3_BENCH_OPS_PER_CASE_MAX;
  const t0 = performance.now();
  const deadline = t0 + opts.durationMs;
  const method = opts.op === 'put' ? 'PUT' : 'GET';
  const expectContinue = opts.api === 'native' && opts.op === 'put' && opts.sizeBytes > EXPECT_CONTINUE_NATIVE_BYTES_MIN;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && issued < opsMax) {
      issued++;
      const url = urlOf(opts.api, opts.baseUrl, opts.bucket, keyOf(opts.sizeBytes, randomInt(opts.objects)));
      const start = performance.now();
      try {
        const r = await client.send(method, url, opts.op === 'put' ? { body: opts.payload, expectContinue, collectErrors: true } : { collectErrors: true });
        if (isOk(r.status) && (opts.op === 'put' || r.bytes === opts.sizeBytes)) {
          ops++;
          bytes += opts.sizeBytes;
          histogram.record((performance.now() - start) * 1000);
        } else {
          errors++;
          if (errorSamples.length < ERROR_SAMPLES_MAX) errorSamples.push(`${method} ${url} → ${r.status} (${r.bytes} B) ${r.body.toString('utf8').slice(0, 200)}`);
        }
      } catch (err) {
        errors++;
        if (errorSamples.length < ERROR_SAMPLES_MAX) errorSamples.push(`${method} ${url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, loop));
  const elapsedMs = performance.now() - t0;
  client.close();
  const merged = mergeResults(
    { target: opts.api, op: opts.op, sizeBytes: opts.sizeBytes, concurrency: opts.concurrency, workers: 1 },
    [{ ops, bytes, errors, elapsedMs, histogram: histogram.snapshot(), errorSamples }],
  );
  return { ...merged, api: opts.api };
}

/** Native PUTs of every key (not measured), so GETs of both APIs read the same objects. */
async function fill(opts: S3BenchOptions, sizeBytes: number, objects: number): Promise<void> {
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < objects) {
      const i = next++;
      await mustSend(opts.client, 'PUT', urlOf('native', opts.baseUrl, opts.bucket, keyOf(sizeBytes, i)), { body: randomBytes(sizeBytes), expectContinue: true });
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, objects) }, loop));
}

function xmlField(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  if (!m) throw new Error(`no <${name}> in ${xml.slice(0, 300)}`);
  const entities: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
  return m[1]!.replace(/&(quot|amp|lt|gt|apos);/g, (_, e: string) => entities[e]!);
}

/** `parts` bodies of `part` bytes (the last one cut to `total`), as one stream. */
function repeated(part: Buffer, total: number): () => Readable {
  return () =>
    Readable.from(
      (function* () {
        for (let off = 0; off < total; off += part.length) yield part.subarray(0, Math.min(part.length, total - off));
      })(),
      { objectMode: false },
    );
}

async function timed(what: string, bytes: number, fn: () => Promise<void>): Promise<S3BigResult> {
  const t0 = performance.now();
  await fn();
  const elapsedMs = performance.now() - t0;
  return { what, bytes, elapsedMs, mibPerSec: bytes / 1024 ** 2 / (elapsedMs / 1000) };
}

/** CreateMultipartUpload, `mptBytes / 16 MiB` UploadParts with 4 in flight, Complete. */
async function multipartUpload(client: HttpClient, baseUrl: string, bucket: string, key: string, part: Buffer, total: number): Promise<void> {
  const objUrl = `${baseUrl}/s3/${bucket}/${key}`;
  const created = await mustSend(client, 'POST', `${objUrl}?uploads`);
  const uploadId = xmlField(created.body.toString('utf8'), 'UploadId');
  const nParts = Math.ceil(total / part.length);
  const etags: string[] = new Array<string>(nParts);
  let next = 0;
  const loop = async (): Promise<void> => {
    while (next < nParts) {
      const i = next++;
      const body = part.subarray(0, Math.min(part.length, total - i * part.length));
      const r = await mustSend(client, 'PUT', `${objUrl}?partNumber=${i + 1}&uploadId=${encodeURIComponent(uploadId)}`, { body });
      const etag = r.headers.etag;
      if (typeof etag !== 'string') throw new Error(`UploadPart ${i + 1}: no ETag header`);
      etags[i] = etag;
    }
  };
  await Promise.all(Array.from({ length: Math.min(S3_MPT_CONCURRENCY, nParts) }, loop));
  const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  const done = await mustSend(client, 'POST', `${objUrl}?uploadId=${encodeURIComponent(uploadId)}`, { body: Buffer.from(xml), headers: { 'content-type': 'application/xml' } });
  const etag = xmlField(done.body.toString('utf8'), 'ETag');
  if (!etag.endsWith(`-${nParts}"`) && !etag.endsWith(`-${nParts}`)) throw new Error(`CompleteMultipartUpload ETag ${etag} does not end in -${nParts}`);
}

async function getAll(client: HttpClient, url: string, bytes: number): Promise<void> {
  const r = await client.send('GET', url, { collectErrors: true });
  if (!isOk(r.status) || r.bytes !== bytes) throw new Error(`GET ${url} → ${r.status}, ${r.bytes} of ${bytes} B: ${r.body.toString('utf8').slice(0, 300)}`);
}

async function bigTransfers(opts: S3BenchOptions): Promise<S3BigResult[]> {
  const total = opts.mptBytes;
  const part = randomBytes(S3_MPT_PART_BYTES);
  const client = new HttpClient({ maxSockets: S3_MPT_CONCURRENCY, timeoutMs: BIG_REQUEST_TIMEOUT_MS });
  const label = sizeLabel(total).replace('1024MiB', '1GiB');
  const nParts = Math.ceil(total / S3_MPT_PART_BYTES);
  const out: S3BigResult[] = [];
  try {
    const nativeUrl = urlOf('native', opts.baseUrl, opts.bucket, 'big/native');
    const mptUrl = urlOf('s3', opts.baseUrl, opts.bucket, 'big/mpt');
    const s3Url = urlOf('s3', opts.baseUrl, opts.bucket, 'big/s3-single');
    opts.log(`big: native PUT of ${label}`);
    out.push(await timed(`native PUT ${label} (one request)`, total, async () => {
      await mustSend(client, 'PUT', nativeUrl, { body: repeated(part, total), bodyBytes: total, expectContinue: true });
    }));
    opts.log(`big: S3 multipart upload of ${label} (${nParts} × 16 MiB, ${S3_MPT_CONCURRENCY} in flight)`);
    out.push(await timed(`s3 multipart ${label} (${nParts} × 16 MiB, ${S3_MPT_CONCURRENCY} in flight)`, total, () => multipartUpload(client, opts.baseUrl, opts.bucket, 'big/mpt', part, total)));
    opts.log(`big: S3 single PutObject of ${label}`);
    out.push(await timed(`s3 PutObject ${label} (one request)`, total, async () => {
      await mustSend(client, 'PUT', s3Url, { body: repeated(part, total), bodyBytes: total });
    }));
    opts.log('big: reading each back');
    out.push(await timed(`native GET ${label}`, total, () => getAll(client, nativeUrl, total)));
    out.push(await timed(`s3 GET ${label} (multipart: chunked)`, total, () => getAll(client, mptUrl, total)));
    out.push(await timed(`s3 GET ${label} (single PUT)`, total, () => getAll(client, s3Url, total)));
  } finally {
    // disk: three objects of mptBytes each
    for (const u of [urlOf('native', opts.baseUrl, opts.bucket, 'big/native'), urlOf('native', opts.baseUrl, opts.bucket, 'big/mpt'), urlOf('native', opts.baseUrl, opts.bucket, 'big/s3-single')]) {
      await client.send('DELETE', u).catch(() => undefined);
    }
    client.close();
  }
  return out;
}

export async function s3Bench(opts: S3BenchOptions): Promise<S3BenchReport> {
  const load: S3LoadCase[] = [];
  for (const size of S3_BENCH_SIZES_BYTES) {
    const objects = objectsFor(size, opts.objectsMax);
    opts.log(`filling ${objects} × ${sizeLabel(size)} (native PUT, not measured)`);
    await fill(opts, size, objects);
    const payload = randomBytes(size);
    if (size === S3_BENCH_SIZES_BYTES[0]) {
      for (const api of ['native', 's3'] as const) {
        for (const op of ['put', 'get'] as const) {
          const w = await loadCase({ ...opts, api, op, sizeBytes: size, objects, payload, opsMax: WARMUP_OPS, durationMs: opts.durationMs });
          if (w.errors > 0) throw new Error(`warm-up ${api} ${op} failed: ${w.errorSamples.join(' | ')}`);
        }
      }
    }
    for (const op of ['put', 'get'] as const) {
      // alternate which API goes first, so neither always runs on a warmer (or more fragmented) disk
      const order: S3BenchApi[] = op === 'put' ? ['native', 's3'] : ['s3', 'native'];
      for (const api of order) {
        opts.log(`${api} ${op.toUpperCase()} ${sizeLabel(size)}: ${opts.concurrency} loops for ${opts.durationMs} ms`);
        load.push(await loadCase({ ...opts, api, op, sizeBytes: size, objects, payload }));
      }
    }
  }
  const ratios = S3_BENCH_SIZES_BYTES.flatMap((size) =>
    (['put', 'get'] as const).map((op) => {
      const s3 = load.find((r) => r.api === 's3' && r.op === op && r.sizeBytes === size)!;
      const nat = load.find((r) => r.api === 'native' && r.op === op && r.sizeBytes === size)!;
      return {
        op,
        sizeBytes: size,
        opsPerSec: nat.opsPerSec > 0 ? s3.opsPerSec / nat.opsPerSec : undefined,
        p99: nat.p99Ms > 0 ? s3.p99Ms / nat.p99Ms : undefined,
      };
    }),
  );
  const big = opts.mptBytes > 0 ? await bigTransfers(opts) : [];
  const byPrefix = (p: string): S3BigResult | undefined => big.find((b) => b.what.startsWith(p));
  const ratio = (a: S3BigResult | undefined, b: S3BigResult | undefined): number | undefined => (a && b && b.mibPerSec > 0 ? a.mibPerSec / b.mibPerSec : undefined);
  const bigRatios = [
    { what: 's3 multipart PUT ÷ native PUT', ratio: ratio(byPrefix('s3 multipart'), byPrefix('native PUT')) },
    { what: 's3 PutObject ÷ native PUT', ratio: ratio(byPrefix('s3 PutObject'), byPrefix('native PUT')) },
    { what: 's3 GET (chunked) ÷ native GET', ratio: ratio(byPrefix('s3 GET') , byPrefix('native GET')) },
  ];
  return { concurrency: opts.concurrency, durationMsPerCase: opts.durationMs, load, ratios, big, bigRatios };
}

const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const x = (r: number | undefined): string => (r === undefined ? '-' : `${r.toFixed(2)}x`);

export function s3Tables(r: S3BenchReport): string {
  const rows = r.load.map((c) => {
    const ratio = r.ratios.find((q) => q.op === c.op && q.sizeBytes === c.sizeBytes)!;
    return [
      `${c.op.toUpperCase()} ${sizeLabel(c.sizeBytes)}`,
      c.api,
      num(c.opsPerSec),
      num(c.mibPerSec, 1),
      num(c.p50Ms, 2),
      num(c.p99Ms, 2),
      num(c.errors),
      c.api === 's3' ? x(ratio.opsPerSec) : '',
      c.api === 's3' ? x(ratio.p99) : '',
    ];
  });
  const load = table(['case', 'api', 'ops/s', 'MiB/s', 'p50 ms', 'p99 ms', 'errors', 's3÷native ops/s', 's3÷native p99'], rows);
  const big = table(
    ['transfer', 'MiB', 'seconds', 'MiB/s'],
    r.big.map((b) => [b.what, num(b.bytes / 1024 ** 2), num(b.elapsedMs / 1000, 2), num(b.mibPerSec, 0)]),
  );
  const bigRatios = r.bigRatios.map((b) => `${b.what}: ${x(b.ratio)}`).join('\n');
  return `${load}\n\n${big}${r.big.length > 0 ? `\n${bigRatios}` : ''}`;
}
