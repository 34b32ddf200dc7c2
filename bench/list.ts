// `--op list`: fill a bucket with N tiny objects (not measured), then time full listings, JSON
// and msgpack, against fs.readdir of the same number of files.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { unpack } from 'msgpackr';
import type { Cleanup } from './cleanup.ts';
import { HttpClient, mustSend } from './http-client.ts';
import { runLoad } from './load.ts';
import { bucketPath, objectName } from './objects.ts';

export const LIST_PAGE_SIZE = 10_000;
/** Bound on pages per listing, far above N / page size for any N the bench accepts. */
export const LIST_PAGES_MAX = 100_000;
export const LIST_PASSES = 2;
export const FILL_SIZE_BYTES_MAX = 16;
export const FILL_CONCURRENCY = 64;
const BASELINE_WRITE_CONCURRENCY = 64;

export type ListFormat = 'json' | 'msgpack';

export interface ListPass {
  format: ListFormat;
  names: number;
  pages: number;
  elapsedMs: number;
  namesPerSec: number;
}

interface Page {
  names: number;
  lastName: string;
  token: string;
}

export function parsePage(format: ListFormat, body: Buffer): Page {
  if (format === 'msgpack') {
    const r = unpack(body) as { Entries?: { n?: string }[] | null; ContinuationToken?: string };
    const entries = r.Entries ?? [];
    return { names: entries.length, lastName: entries.at(-1)?.n ?? '', token: r.ContinuationToken ?? '' };
  }
  const r = JSON.parse(body.toString('utf8')) as { entries?: { name?: string }[] | null; continuation_token?: string };
  const entries = r.entries ?? [];
  return { names: entries.length, lastName: entries.at(-1)?.name ?? '', token: r.continuation_token ?? '' };
}

export async function listAll(client: HttpClient, baseUrl: string, bucket: string, format: ListFormat): Promise<ListPass> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (format === 'msgpack') headers['accept'] = 'application/msgpack';
  let token = '';
  let uuid: string | undefined;
  let names = 0;
  let pages = 0;
  let lastName = '';
  const t0 = performance.now();
  for (; pages < LIST_PAGES_MAX; ) {
    const value: Record<string, unknown> = { pagesize: LIST_PAGE_SIZE, props: 'name', continuation_token: token };
    if (uuid) value['uuid'] = uuid;
    const r = await mustSend(client, 'GET', baseUrl + bucketPath(bucket), {
      headers,
      body: Buffer.from(JSON.stringify({ action: 'list', value })),
    });
    pages++;
    const page = parsePage(format, r.body);
    if (page.names > 0 && page.lastName <= lastName) throw new Error(`listing went backwards at "${page.lastName}"`);
    names += page.names;
    lastName = page.lastName || lastName;
    token = page.token;
    if (!token) break;
  }
  if (token) throw new Error(`listing did not end within ${LIST_PAGES_MAX} pages`);
  const elapsedMs = performance.now() - t0;
  return { format, names, pages, elapsedMs, namesPerSec: names / (elapsedMs / 1000) };
}

export async function fillBucket(opts: { baseUrl: string; bucket: string; objects: number; workers: number; cleanup: Cleanup }): Promise<void> {
  const r = await runLoad(
    {
      target: 'fill',
      op: 'fill',
      baseUrl: opts.baseUrl,
      bucket: opts.bucket,
      objects: opts.objects,
      sizeBytes: 0,
      fillSizeMaxBytes: FILL_SIZE_BYTES_MAX,
      concurrency: FILL_CONCURRENCY,
      workers: opts.workers,
      durationMs: 0,
      expectContinue: false,
    },
    opts.cleanup,
  );
  if (r.errors > 0) throw new Error(`fill: ${r.errors} PUTs failed, e.g. ${r.errorSamples.join('; ')}`);
}

/** Writes n tiny files named like the objects, then times a recursive fs.readdir of them. */
export async function readdirBaseline(dir: string, n: number): Promise<ListPass> {
  await fsp.mkdir(dir, { recursive: true });
  let next = 0;
  const write = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await fsp.writeFile(path.join(dir, objectName(i)), Buffer.alloc(i % (FILL_SIZE_BYTES_MAX + 1)));
    }
  };
  await Promise.all(Array.from({ length: BASELINE_WRITE_CONCURRENCY }, write));
  let best: ListPass | undefined;
  for (let pass = 0; pass < LIST_PASSES; pass++) {
    const t0 = performance.now();
    const names = await fsp.readdir(dir, { recursive: true });
    const elapsedMs = performance.now() - t0;
    if (names.length !== n) throw new Error(`readdir found ${names.length} files, expected ${n}`);
    const p: ListPass = { format: 'json', names: names.length, pages: 1, elapsedMs, namesPerSec: names.length / (elapsedMs / 1000) };
    if (!best || p.namesPerSec > best.namesPerSec) best = p;
  }
  return best!;
}
