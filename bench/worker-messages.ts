// IPC between the bench parent and its load worker processes.
import type { HistogramSnapshot } from './histogram.ts';

export type WorkerOp = 'get' | 'put' | 'mixed' | 'fill';

export interface WorkerConfig {
  op: WorkerOp;
  baseUrl: string;
  bucket: string;
  /** Names are objectName(0 .. objects-1); fill writes the ones with index % workers === workerIndex. */
  objects: number;
  sizeBytes: number;
  /** Fill writes random sizes in [0, fillSizeMaxBytes]. */
  fillSizeMaxBytes: number;
  concurrency: number;
  durationMs: number;
  opsMax: number;
  putPct: number;
  workerIndex: number;
  workers: number;
  expectContinue: boolean;
}

export interface WorkerResult {
  ops: number;
  bytes: number;
  errors: number;
  elapsedMs: number;
  histogram: HistogramSnapshot;
  errorSamples: string[];
}

export type ParentMessage = { type: 'config'; config: WorkerConfig } | { type: 'start' };
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; result: WorkerResult }
  | { type: 'failed'; message: string };
