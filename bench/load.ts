// Parent side of a load run: forks W worker processes, starts them together, merges their reports.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.ts';
import { Histogram } from './histogram.ts';
import type { ParentMessage, WorkerConfig, WorkerMessage, WorkerResult } from './worker-messages.ts';

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));
const WORKER_READY_MS_MAX = 30_000;
/** A worker bounds itself; this only catches a hung process. */
const WORKER_SLACK_MS = 120_000;
/** Total requests per run, whatever the duration: a runaway loop still ends. */
export const OPS_PER_RUN_MAX = 20_000_000;
export const MIXED_PUT_PCT = 20;
/** A fill is bounded by its object count; this only catches a cluster that stopped answering. */
const FILL_MS_MAX = 3_600_000;

export interface LoadSpec {
  target: string;
  op: WorkerConfig['op'];
  baseUrl: string;
  bucket: string;
  objects: number;
  sizeBytes: number;
  fillSizeMaxBytes?: number;
  concurrency: number;
  workers: number;
  durationMs: number;
  expectContinue: boolean;
}

export interface LoadResult {
  target: string;
  op: string;
  sizeBytes: number;
  concurrency: number;
  workers: number;
  ops: number;
  bytes: number;
  errors: number;
  elapsedMs: number;
  opsPerSec: number;
  mibPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  errorSamples: string[];
}

export function mergeResults(spec: Pick<LoadSpec, 'target' | 'op' | 'sizeBytes' | 'concurrency' | 'workers'>, results: WorkerResult[]): LoadResult {
  const h = new Histogram();
  let ops = 0;
  let bytes = 0;
  let errors = 0;
  let elapsedMs = 0;
  const errorSamples: string[] = [];
  for (const r of results) {
    h.merge(r.histogram);
    ops += r.ops;
    bytes += r.bytes;
    errors += r.errors;
    elapsedMs = Math.max(elapsedMs, r.elapsedMs);
    errorSamples.push(...r.errorSamples);
  }
  const sec = elapsedMs / 1000;
  return {
    target: spec.target,
    op: spec.op,
    sizeBytes: spec.sizeBytes,
    concurrency: spec.concurrency,
    workers: spec.workers,
    ops,
    bytes,
    errors,
    elapsedMs,
    opsPerSec: sec > 0 ? ops / sec : 0,
    mibPerSec: sec > 0 ? bytes / 1024 ** 2 / sec : 0,
    p50Ms: h.percentileUs(50) / 1000,
    p90Ms: h.percentileUs(90) / 1000,
    p99Ms: h.percentileUs(99) / 1000,
    meanMs: h.meanUs() / 1000,
    maxMs: h.maxUs / 1000,
    errorSamples: errorSamples.slice(0, 5),
  };
}

/** Splits N request loops over W processes as evenly as possible. */
export function splitConcurrency(concurrency: number, workers: number): number[] {
  const w = Math.min(workers, concurrency);
  return Array.from({ length: w }, (_, i) => Math.floor(concurrency / w) + (i < concurrency % w ? 1 : 0));
}

interface Running {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<WorkerResult>;
  stop: () => Promise<void>;
}

function startWorker(config: WorkerConfig, cleanup: Cleanup): Running {
  const child = fork(WORKER_PATH, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const stop = cleanup.addPid(`load worker ${config.workerIndex}`, child.pid!);
  let onReady: () => void = () => {};
  let onReadyFail: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onReadyFail = reject;
  });
  const result = new Promise<WorkerResult>((resolve, reject) => {
    child.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') onReady();
      else if (msg.type === 'result') resolve(msg.result);
      else {
        const e = new Error(`load worker ${config.workerIndex} failed: ${msg.message}`);
        onReadyFail(e);
        reject(e);
      }
    });
    child.on('exit', (code, signal) => {
      const e = new Error(`load worker ${config.workerIndex} exited (code ${code}, signal ${signal})`);
      onReadyFail(e);
      reject(e);
    });
  });
  result.catch(() => {});
  ready.catch(() => {});
  const msg: ParentMessage = { type: 'config', config };
  child.send(msg);
  return { child, ready, result, stop };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function runLoad(spec: LoadSpec, cleanup: Cleanup): Promise<LoadResult> {
  const shares = splitConcurrency(spec.concurrency, spec.workers);
  const running = shares.map((concurrency, workerIndex) =>
    startWorker(
      {
        op: spec.op,
        baseUrl: spec.baseUrl,
        bucket: spec.bucket,
        objects: spec.objects,
        sizeBytes: spec.sizeBytes,
        fillSizeMaxBytes: spec.fillSizeMaxBytes ?? 0,
        concurrency,
        durationMs: spec.durationMs,
        opsMax: Math.ceil(OPS_PER_RUN_MAX / shares.length),
        putPct: MIXED_PUT_PCT,
        workerIndex,
        workers: shares.length,
        expectContinue: spec.expectContinue,
      },
      cleanup,
    ),
  );
  try {
    await withTimeout(Promise.all(running.map((r) => r.ready)), WORKER_READY_MS_MAX, 'load workers start');
    for (const r of running) r.child.send({ type: 'start' } satisfies ParentMessage);
    const bound = spec.op === 'fill' ? FILL_MS_MAX : spec.durationMs + WORKER_SLACK_MS;
    const results = await withTimeout(Promise.all(running.map((r) => r.result)), bound, 'load workers');
    return mergeResults({ ...spec, workers: shares.length }, results);
  } finally {
    for (const r of running) await r.stop();
  }
}
