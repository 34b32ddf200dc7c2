// `npm run bench -- --op get-batch`: GetBatch (AIS x-moss, one streamed `.tar` of N objects) against
// N sequential GETs and N GETs by 16 concurrent loops, of the same objects, in one run, as speed-ups
// (GET time ÷ GetBatch time); then the memory check: a 4 GiB batch (4096 × 1 MiB) streamed while the
// designated target's (DT) peak RSS is sampled (VmHWM reset at the start, see reb-rss.ts), budget 512 MiB.
// Bounded: each case's bytes (--gb-case-bytes, default 2 GiB: 1 MiB × 10,000 is cut to 2,048 items,
// reported as scaled), each method's time (GB_METHOD_MS_MAX: a slower method is stopped and its
// time extrapolated from the items done, reported). The objects are deleted with the bucket at the end.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { HttpClient, isOk, mustSend, jsonBody } from './http-client.ts';
import { RssWindow, type RssPeak } from './reb-rss.ts';
import { objectName, bucketPath } from './objects.ts';
import { table } from './report.ts';
import { createArchiveWriter } from '../runtime/archive/index.ts';
import { inlineWorkers } from '../runtime/env/real/workers.ts';
import type { LocalClusterNode } from './cluster.ts';

export const GB_SIZES_BYTES = [1024, 10 * 1024, 100 * 1024, 1024 * 1024] as const;
export const GB_BATCHES = [1000, 10_000] as const;
export const GB_CASE_BYTES_DEFAULT = 2 * 1024 ** 3;
export const GB_MEM_ITEMS = 4096;
export const GB_MEM_ITEM_BYTES = 1024 * 1024;
export const GB_RSS_BUDGET_MIB = 512;
/** A method slower than this is stopped; its time is extrapolated from the items it did. */
export const GB_METHOD_MS_MAX = 120_000;
export const GB_CONCURRENT_GETS = 16;
/**
 * GetBatch runs per case after its cold run: a data loader issues one batch after another, so the
 * steady state (median) is the figure; the cold first run (JIT, page cache) is reported beside it.
 * Cases over GB_RUNS_BYTES_MAX run fewer times (time bound).
 */
export const GB_RUNS = 5;
/** Batches this small (≤ 16 MiB, tens of ms) run more often: one batch is short enough to be noise. */
export const GB_RUNS_SMALL = 9;
export const GB_RUNS_SMALL_BYTES_MAX = 16 * 1024 ** 2;
/**
 * Before any case: rounds of GB_WARMUP_ROUND_ITEMS sequential GETs and one GetBatch of the same
 * items, until the GETs' time is steady (the last GB_WARMUP_STABLE_ROUNDS rounds within
 * GB_WARMUP_STABLE of their mean, at least GB_WARMUP_ROUNDS_MIN rounds, at most GB_WARMUP_ROUNDS_MAX).
 * Measured: every process on the path keeps speeding up for ~10,000 GETs (JIT), from ~760 to ~300 µs
 * per 1 KiB GET, with plateaus on the way; a baseline measured before that flatters the first cases'
 * speed-ups by up to 2×.
 */
export const GB_WARMUP_ROUND_ITEMS = 1000;
export const GB_WARMUP_ROUNDS_MIN = 10;
export const GB_WARMUP_STABLE_ROUNDS = 3;
export const GB_WARMUP_ROUNDS_MAX = 20;
export const GB_WARMUP_STABLE = 0.05;
/** GetBatches of ≤ 1,000 items before each size's cases (as the GETs' warm-up below). */
export const GB_WARMUP_BATCHES = 3;
/** GETs (sequential, then concurrent) before each size's cases. */
export const GB_WARMUP_GETS = 500;
export const GB_RUNS_BIG = 3;
export const GB_RUNS_BYTES_MAX = 256 * 1024 ** 2;
const PRELOAD_CONCURRENCY = 16;
/** The whole 4 GiB stream, or a hung cluster. */
const BATCH_TIMEOUT_MS = 900_000;

/** AIS published single-worker speed-ups of GetBatch over GETs (docs/get_batch.md, issue 7). */
export const AIS_SPEEDUP = [
  { maxBytes: 10 * 1024, lo: 13, hi: 26 },
  { maxBytes: 100 * 1024, lo: 3, hi: 8 },
] as const;

export interface GbCase {
  sizeBytes: number;
  /** Items asked (the batch), and the batch that was wanted before the bytes bound. */
  items: number;
  wanted: number;
  /** Median of the steady-state runs. */
  getBatchMs: number;
  getBatchRunsMs: number[];
  /** The case's first (cold) GetBatch. */
  getBatchColdMs: number;
  getBatchBytes: number;
  seqGetMs: number;
  seqExtrapolated: boolean;
  concGetMs: number;
  concExtrapolated: boolean;
  speedupSeq: number;
  speedupConc: number;
  errors: string[];
}

export interface GbMemCheck {
  items: number;
  itemBytes: number;
  bytes: number;
  ms: number;
  dt: string;
  dtPeakMiB: number | undefined;
  budgetMiB: number;
  withinBudget: boolean | undefined;
  peaks: RssPeak[];
  /** The batch failed (the peaks are still those of the window). */
  error?: string;
}

/** Members of one `.tgz` shard fetched with coloc 1 (each member decodes the shard) and 2 (cached). */
export interface GbColocCase {
  members: number;
  memberBytes: number;
  coloc1Ms: number;
  /** Median of GB_RUNS_BIG runs. */
  coloc2Ms: number;
  errors: string[];
}

/** The warm-up to steady state before the cases: its rounds, and the per-GET time of the first and last. */
export interface GbWarmUp {
  rounds: number;
  firstGetUs: number;
  lastGetUs: number;
  steady: boolean;
}

export interface GbReport {
  warmUp?: GbWarmUp;
  coloc?: GbColocCase;
  cases: GbCase[];
  mem?: GbMemCheck;
  notes: string[];
}

export interface GbOptions {
  client: HttpClient;
  baseUrl: string;
  bucket: string;
  nodes: readonly LocalClusterNode[];
  caseBytes: number;
  memCheck: boolean;
  log: (s: string) => void;
}

const sizeLabel = (n: number): string => (n >= 1024 ** 2 ? `${n / 1024 ** 2} MiB` : `${n / 1024} KiB`);

/** Objects `<bucket>/<size>/obj-N`, N in [from, to), random bytes (one buffer per size: the bytes do not matter). */
async function preload(o: GbOptions, sizeBytes: number, from: number, to: number): Promise<void> {
  const body = randomBytes(sizeBytes);
  let next = from;
  const loop = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      const url = `${o.baseUrl}/v1/objects/${o.bucket}/${nameOf(sizeBytes, i)}`;
      const r = await o.client.send('PUT', url, { body, expectContinue: true, collectErrors: true });
      if (!isOk(r.status)) throw new Error(`preload PUT ${url} → ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: PRELOAD_CONCURRENCY }, loop));
}

function nameOf(sizeBytes: number, i: number): string {
  return `${sizeBytes}/${objectName(i)}`;
}

interface BatchResult {
  status: number;
  bytes: number;
  ms: number;
  dt: string | undefined;
  error: string | undefined;
}

/** One GetBatch: GET the proxy with the MossReq, follow its 307 to the DT (body sent again, as Go's client), count the stream. */
export function getBatch(baseUrl: string, bucket: string, names: readonly string[], onDt?: (dt: string) => void): Promise<BatchResult> {
  return getBatchOf(baseUrl, bucket, names.map((objname) => ({ objname })), 0, onDt);
}

/** As getBatch, with archived files (`archpath`) and a colocation hint. */
export function getBatchOf(baseUrl: string, bucket: string, items: readonly { objname: string; archpath?: string }[], coloc: number, onDt?: (dt: string) => void): Promise<BatchResult> {
  const body = Buffer.from(JSON.stringify({ mime: '.tar', strm: true, coloc, in: items }));
  const t0 = performance.now();
  let dt: string | undefined;
  const hop = (url: URL, left: number): Promise<BatchResult> =>
    new Promise((resolve) => {
      const req = http.request(url, { method: 'GET', agent: false, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, timeout: BATCH_TIMEOUT_MS });
      const done = (status: number, bytes: number, error: string | undefined): void => resolve({ status, bytes, ms: performance.now() - t0, dt, error });
      req.on('error', (e) => done(0, 0, e.message));
      req.on('timeout', () => req.destroy(new Error(`no answer in ${BATCH_TIMEOUT_MS} ms`)));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const loc = res.headers.location;
        if (status === 307 && loc !== undefined && left > 0) {
          res.resume();
          const next = new URL(loc, url);
          dt = next.searchParams.get('tid') ?? undefined;
          if (dt !== undefined) onDt?.(dt);
          res.on('end', () => void hop(next, left - 1).then(resolve));
          return;
        }
        let bytes = 0;
        const errBody: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (status >= 400) errBody.push(c);
        });
        res.on('error', (e) => done(status, bytes, e.message));
        res.on('aborted', () => done(status, bytes, 'response aborted'));
        res.on('end', () => done(status, bytes, status >= 400 ? Buffer.concat(errBody).toString('utf8').slice(0, 300) : undefined));
      });
      req.end(body);
    });
  return hop(new URL(`${baseUrl}/v1/ml/moss/${bucket}`), 2);
}

/** GETs of `names` by `loops` closed loops; stopped after GB_METHOD_MS_MAX (then extrapolated). */
async function gets(o: GbOptions, names: readonly string[], sizeBytes: number, loops: number): Promise<{ ms: number; extrapolated: boolean; errors: string[] }> {
  const client = new HttpClient({ maxSockets: loops });
  const errors: string[] = [];
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + GB_METHOD_MS_MAX;
  const loop = async (): Promise<void> => {
    while (next < names.length && performance.now() < deadline) {
      const name = names[next++]!;
      const r = await client.send('GET', `${o.baseUrl}/v1/objects/${o.bucket}/${name}`, { collectErrors: true });
      if (!isOk(r.status) || r.bytes !== sizeBytes) {
        if (errors.length < 5) errors.push(`GET ${name} → ${r.status} (${r.bytes} B)`);
      }
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: loops }, loop));
  } finally {
    client.close();
  }
  const ms = performance.now() - t0;
  return done === names.length ? { ms, extrapolated: false, errors } : { ms: (ms * names.length) / Math.max(1, done), extrapolated: true, errors };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A shuffled order (a data loader's), fixed per case so all three methods read the same sequence. */
function shuffled(n: number, sizeBytes: number, objects: number): string[] {
  const idx = Array.from({ length: n }, (_, i) => i % objects);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.map((i) => nameOf(sizeBytes, i));
}

export async function getBatchBench(o: GbOptions): Promise<GbReport> {
  const report: GbReport = { cases: [], notes: [] };
  const maxBatch = Math.max(...GB_BATCHES);
  for (const size of GB_SIZES_BYTES) {
    const objects = Math.min(maxBatch, Math.floor(o.caseBytes / size));
    const memObjects = o.memCheck && size === GB_MEM_ITEM_BYTES ? GB_MEM_ITEMS : 0;
    const total = Math.max(objects, memObjects);
    o.log(`preloading ${total} × ${sizeLabel(size)}`);
    try {
      await preload(o, size, 0, total);
    } catch (e) {
      report.notes.push(`${sizeLabel(size)}: preload failed, cases skipped: ${(e as Error).message}`);
      continue;
    }
    if (report.warmUp === undefined) report.warmUp = await warmUp(o, size, objects);
    // per size: sockets, page cache of the indexes, as much for the GETs as for GetBatch (whose cold
    // run per case is also kept out of the median): not measured
    for (let w = 0; w < GB_WARMUP_BATCHES; w++) await getBatch(o.baseUrl, o.bucket, shuffled(Math.min(1000, objects), size, objects));
    await gets(o, shuffled(Math.min(GB_WARMUP_GETS, objects), size, objects), size, 1);
    await gets(o, shuffled(Math.min(GB_WARMUP_GETS, objects), size, objects), size, GB_CONCURRENT_GETS);
    for (const wanted of GB_BATCHES) {
      const items = Math.min(wanted, objects);
      const names = shuffled(items, size, objects);
      const runs = items * size > GB_RUNS_BYTES_MAX ? GB_RUNS_BIG : items * size <= GB_RUNS_SMALL_BYTES_MAX ? GB_RUNS_SMALL : GB_RUNS;
      o.log(`${sizeLabel(size)} × ${items}: GetBatch, a cold run and ${runs} more`);
      const errors: string[] = [];
      const all: BatchResult[] = [];
      for (let r = 0; r <= runs; r++) {
        const b = await getBatch(o.baseUrl, o.bucket, names);
        all.push(b);
        if (b.status !== 200 || b.error !== undefined) errors.push(`GetBatch → ${b.status}: ${b.error ?? ''}`);
        else if (b.bytes < items * size) errors.push(`GetBatch: ${b.bytes} B for ${items} × ${size} B`);
        if (errors.length > 0) break;
      }
      const steady = all.length > 1 ? all.slice(1) : all;
      const runsMs = steady.map((x) => x.ms);
      const b = { ms: median(runsMs), bytes: steady[0]!.bytes };
      o.log(`${sizeLabel(size)} × ${items}: ${items} sequential GETs`);
      const seq = await gets(o, names, size, 1);
      o.log(`${sizeLabel(size)} × ${items}: ${items} GETs by ${GB_CONCURRENT_GETS} loops`);
      const conc = await gets(o, names, size, GB_CONCURRENT_GETS);
      errors.push(...seq.errors, ...conc.errors);
      const c: GbCase = {
        sizeBytes: size, items, wanted, getBatchMs: b.ms, getBatchRunsMs: runsMs, getBatchColdMs: all[0]!.ms, getBatchBytes: b.bytes,
        seqGetMs: seq.ms, seqExtrapolated: seq.extrapolated, concGetMs: conc.ms, concExtrapolated: conc.extrapolated,
        speedupSeq: seq.ms / b.ms, speedupConc: conc.ms / b.ms, errors,
      };
      report.cases.push(c);
      o.log(`${sizeLabel(size)} × ${items}: GetBatch ${b.ms.toFixed(0)} ms (median of ${runsMs.map((m) => m.toFixed(0)).join(', ')}; cold ${c.getBatchColdMs.toFixed(0)}), seq GETs ${seq.ms.toFixed(0)} ms (${c.speedupSeq.toFixed(1)}×), ${GB_CONCURRENT_GETS}× GETs ${conc.ms.toFixed(0)} ms (${c.speedupConc.toFixed(1)}×)${errors.length > 0 ? `; errors: ${errors.join('; ')}` : ''}`);
      if (items < wanted) report.notes.push(`${sizeLabel(size)} × ${wanted} scaled to ${items} items (${sizeLabel(size)} × ${items} = ${((items * size) / 1024 ** 3).toFixed(1)} GiB: --gb-case-bytes bound)`);
    }
  }
  try {
    report.coloc = await colocCase(o);
  } catch (e) {
    report.notes.push(`coloc case failed: ${(e as Error).message}`);
  }
  if (o.memCheck) {
    try {
      report.mem = await memCheck(o);
    } catch (e) {
      report.notes.push(`memory check failed: ${(e as Error).message}`);
    }
  }
  return report;
}

/** Rounds of sequential GETs and a GetBatch of the same items until the GETs' time is steady (GB_WARMUP_*). */
async function warmUp(o: GbOptions, size: number, objects: number): Promise<GbWarmUp> {
  const perGetUs: number[] = [];
  const steady = () => {
    if (perGetUs.length < GB_WARMUP_ROUNDS_MIN) return false;
    const last = perGetUs.slice(-GB_WARMUP_STABLE_ROUNDS);
    const mean = last.reduce((a, b) => a + b, 0) / last.length;
    return last.every((x) => Math.abs(x - mean) <= GB_WARMUP_STABLE * mean);
  };
  while (perGetUs.length < GB_WARMUP_ROUNDS_MAX && !steady()) {
    const names = shuffled(Math.min(GB_WARMUP_ROUND_ITEMS, objects), size, objects);
    const g = await gets(o, names, size, 1);
    perGetUs.push((g.ms * 1000) / names.length);
    await getBatch(o.baseUrl, o.bucket, names);
    o.log(`warm-up round ${perGetUs.length}: ${perGetUs.at(-1)!.toFixed(0)} µs per sequential GET`);
  }
  return { rounds: perGetUs.length, firstGetUs: perGetUs[0]!, lastGetUs: perGetUs.at(-1)!, steady: steady() };
}

export const GB_COLOC_MEMBERS = 1000;
export const GB_COLOC_MEMBER_BYTES = 1024;

/** One `.tgz` of GB_COLOC_MEMBERS members, all asked in shuffled order: coloc 1 vs coloc 2 (shard cache). */
async function colocCase(o: GbOptions): Promise<GbColocCase> {
  const shard = 'coloc/shard.tgz';
  const names = Array.from({ length: GB_COLOC_MEMBERS }, (_, k) => `m/${String(k).padStart(4, '0')}.bin`);
  const aw = createArchiveWriter(inlineWorkers(), '.tgz');
  const out: Buffer[] = [];
  aw.output.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve) => aw.output.once('end', resolve));
  const data = randomBytes(GB_COLOC_MEMBER_BYTES);
  for (const n of names) await aw.add(n, data, data.byteLength, 1_700_000_000_000);
  await aw.finish();
  await ended;
  const r = await o.client.send('PUT', `${o.baseUrl}/v1/objects/${o.bucket}/${shard}`, { body: Buffer.concat(out), expectContinue: true, collectErrors: true });
  if (!isOk(r.status)) throw new Error(`PUT ${shard} → ${r.status}`);
  const order = shuffledIndices(names.length).map((k) => ({ objname: shard, archpath: names[k]! }));
  const errors: string[] = [];
  const run = async (coloc: number): Promise<number> => {
    const b = await getBatchOf(o.baseUrl, o.bucket, order, coloc);
    const want = GB_COLOC_MEMBERS * GB_COLOC_MEMBER_BYTES;
    if (b.status !== 200 || b.error !== undefined || b.bytes < want) errors.push(`coloc ${coloc}: ${b.status} ${b.bytes} B ${b.error ?? ''}`);
    return b.ms;
  };
  o.log(`coloc: ${GB_COLOC_MEMBERS} members of one .tgz, coloc 2 (warm-up + ${GB_RUNS_BIG}) and coloc 1 (once)`);
  await run(2);
  const c2: number[] = [];
  for (let k = 0; k < GB_RUNS_BIG; k++) c2.push(await run(2));
  const coloc1Ms = await run(1);
  return { members: GB_COLOC_MEMBERS, memberBytes: GB_COLOC_MEMBER_BYTES, coloc1Ms, coloc2Ms: median(c2), errors };
}

function shuffledIndices(n: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

async function memCheck(o: GbOptions): Promise<GbMemCheck> {
  const names = shuffled(GB_MEM_ITEMS, GB_MEM_ITEM_BYTES, GB_MEM_ITEMS);
  const targets = o.nodes.filter((n) => n.role === 'target');
  o.log(`memory check: GetBatch of ${GB_MEM_ITEMS} × 1 MiB (4 GiB) streamed, targets' RSS sampled`);
  const w = await RssWindow.open(targets);
  const b = await getBatch(o.baseUrl, o.bucket, names).finally(() => undefined);
  const peaks = await w.close();
  const dt = b.dt ?? '?';
  const dtPeak = peaks.find((p) => p.id === dt)?.peakMiB;
  return {
    items: GB_MEM_ITEMS, itemBytes: GB_MEM_ITEM_BYTES, bytes: b.bytes, ms: b.ms, dt, dtPeakMiB: dtPeak, budgetMiB: GB_RSS_BUDGET_MIB,
    withinBudget: dtPeak === undefined ? undefined : dtPeak <= GB_RSS_BUDGET_MIB, peaks,
    ...(b.status !== 200 || b.error !== undefined ? { error: `GetBatch → ${b.status}: ${b.error ?? ''}` } : {}),
  };
}

function aisRange(sizeBytes: number): string {
  const r = AIS_SPEEDUP.find((x) => sizeBytes <= x.maxBytes);
  return r ? `${r.lo}–${r.hi}×` : '–';
}

export function gbTables(r: GbReport): string {
  const rows = r.cases.map((c) => [
    sizeLabel(c.sizeBytes),
    c.items === c.wanted ? String(c.items) : `${c.items} (of ${c.wanted})`,
    `${c.getBatchMs.toFixed(0)} ms`,
    `${c.getBatchColdMs.toFixed(0)} ms`,
    `${((c.items * c.sizeBytes) / 1024 ** 2 / (c.getBatchMs / 1000)).toFixed(0)} MiB/s`,
    `${c.seqGetMs.toFixed(0)} ms${c.seqExtrapolated ? '*' : ''}`,
    `${c.concGetMs.toFixed(0)} ms${c.concExtrapolated ? '*' : ''}`,
    `${c.speedupSeq.toFixed(1)}×`,
    `${c.speedupConc.toFixed(1)}×`,
    aisRange(c.sizeBytes),
    c.errors.length === 0 ? 'ok' : c.errors.slice(0, 2).join('; '),
  ]);
  let out = '';
  if (r.warmUp) {
    const w = r.warmUp;
    out += `warm-up: ${w.rounds} rounds of ${GB_WARMUP_ROUND_ITEMS} sequential GETs + 1 GetBatch; per GET ${w.firstGetUs.toFixed(0)} → ${w.lastGetUs.toFixed(0)} µs (${w.steady ? 'steady' : `not steady after ${GB_WARMUP_ROUNDS_MAX} rounds`})\n`;
  }
  out += table(['size', 'items', 'GetBatch (median)', 'cold', 'GetBatch rate', 'seq GETs', `${GB_CONCURRENT_GETS}× GETs`, 'speed-up vs seq', `vs ${GB_CONCURRENT_GETS}×`, 'AIS (1 worker)', 'check'], rows);
  if (r.cases.some((c) => c.seqExtrapolated || c.concExtrapolated)) out += `\n* stopped after ${GB_METHOD_MS_MAX / 1000} s, extrapolated from the items done`;
  if (r.coloc) {
    const k = r.coloc;
    out += `\n\ncoloc: ${k.members} × ${k.memberBytes} B members of one .tgz in one GetBatch: coloc 1 ${k.coloc1Ms.toFixed(0)} ms, coloc 2 ${k.coloc2Ms.toFixed(0)} ms (median) → ${(k.coloc1Ms / k.coloc2Ms).toFixed(0)}× ${k.errors.length === 0 ? 'ok' : k.errors.join('; ')}`;
  }
  if (r.mem) {
    const m = r.mem;
    out += `\n\nmemory: ${m.items} × 1 MiB (${(m.bytes / 1024 ** 3).toFixed(2)} GiB streamed) in ${(m.ms / 1000).toFixed(1)} s (${(m.bytes / 1024 ** 2 / (m.ms / 1000)).toFixed(0)} MiB/s); ` +
      `DT ${m.dt} peak RSS ${m.dtPeakMiB?.toFixed(1) ?? '?'} MiB of a ${m.budgetMiB} MiB budget → ${m.withinBudget === undefined ? 'unknown' : m.withinBudget ? 'OK' : 'OVER BUDGET'}` +
      (m.error !== undefined ? `\n  BATCH FAILED after ${(m.bytes / 1024 ** 2).toFixed(0)} MiB: ${m.error}` : '') +
      `\n  every target: ${m.peaks.map((p) => `${p.id} ${p.peakMiB?.toFixed(1) ?? '?'} MiB${p.hwmReset ? '' : ' (sampled)'} cpu ${p.cpuSec?.toFixed(1) ?? '?'} s`).join(', ')}`;
  }
  return out;
}

/** The bucket and its objects go (disk bound); the caller's cleanup handles a crash. */
export async function gbCleanup(o: GbOptions): Promise<void> {
  await mustSend(o.client, 'DELETE', o.baseUrl + bucketPath(o.bucket), jsonBody({ action: 'destroy-bck' }));
}
