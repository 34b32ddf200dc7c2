// `--op pool`: md5, sha256, gzip and lz4 of one buffer, inline on the main thread vs through the
// worker pool (env.workers, offload forced) at concurrency 1 and 4, for sizes 4 KiB .. 64 MiB.
// Prints throughput ratios (pool / inline) and the smallest size from which the pool wins: the
// figures behind CKSUM_OFFLOAD_BYTES_MIN / COMPRESS_OFFLOAD_BYTES_MIN in runtime/env/real/workers.ts.
// No cluster is started.
import fsp from 'node:fs/promises';
import { createRealWorkers, WORKER_THREADS_MAX } from '../runtime/env/real/workers.ts';
import { cksumInline, compressInline } from '../runtime/env/real/workers/ops.ts';
import type { BenchArgs } from './args.ts';
import { table } from './report.ts';

export const POOL_SIZES_BYTES = [4, 16, 64, 256, 1024, 4096, 16384, 65536].map((k) => k * 1024);
export const POOL_OPS = ['md5', 'sha256', 'gzip', 'lz4'] as const;
export type PoolOp = (typeof POOL_OPS)[number];
export const POOL_CONCURRENCIES = [1, 4] as const;
/** Bytes processed per cell (at least one buffer): enough to average out task overheads, short on gzip. */
const POOL_CELL_BYTES = 32 * 1024 * 1024;
const POOL_CELL_BYTES_GZIP = 8 * 1024 * 1024;
/** Unmeasured calls per cell (wasm compile, thread start, JIT). */
const POOL_WARMUP_CALLS = 2;

export interface PoolCell {
  op: PoolOp;
  sizeBytes: number;
  inlineMBps: number;
  pool1MBps: number;
  pool4MBps: number;
  /** Concurrency 4, callers give their buffers up (`transfer: true`, no copy; copies made before timing). */
  pool4xMBps: number;
}

/** Half-compressible data (text-like runs + noise), so gzip/lz4 do real work and are not trivially fast. */
function sample(sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  let x = 0x2545f491;
  for (let i = 0; i < sizeBytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (i & 64) === 0 ? 97 + ((i >> 3) % 26) : x >>> 24;
  }
  return out;
}

async function timed(calls: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < POOL_WARMUP_CALLS; i++) await one(calls + i);
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < calls) {
      await one(next++);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return performance.now() - t0;
}

export async function poolBench(args: BenchArgs): Promise<number> {
  // Offload everything: this measures the hop, the thresholds are what we derive from it.
  const workers = createRealWorkers({ cksumOffloadBytesMin: 0, compressOffloadBytesMin: 0, gzipOffloadBytesMin: 0 });
  const cells: PoolCell[] = [];
  console.log(`pool: ${WORKER_THREADS_MAX} threads; callers keep their buffers (one copy per offloaded call)`);
  try {
    for (const op of POOL_OPS) {
      for (const sizeBytes of POOL_SIZES_BYTES) {
        const data = sample(sizeBytes);
        let copies: Uint8Array[] = [];
        const cellBytes = op === 'gzip' ? POOL_CELL_BYTES_GZIP : POOL_CELL_BYTES;
        const calls = Math.max(2, Math.ceil(cellBytes / sizeBytes));
        const inline = (_i: number): Promise<unknown> => (op === 'gzip' || op === 'lz4' ? compressInline(op, data) : cksumInline(op, data));
        const pooled = (_i: number): Promise<unknown> => (op === 'gzip' || op === 'lz4' ? workers.compress(op, data) : workers.cksum(op, data));
        const given = (i: number): Uint8Array => copies[i] ?? data;
        const handed = (i: number): Promise<unknown> =>
          op === 'gzip' || op === 'lz4' ? workers.compress(op, given(i), { transfer: true }) : workers.cksum(op, given(i), { transfer: true });
        const mbps = (elapsedMs: number): number => (calls * sizeBytes) / 1e6 / (elapsedMs / 1000);
        const cell: PoolCell = {
          op,
          sizeBytes,
          inlineMBps: mbps(await timed(calls, 1, inline)),
          pool1MBps: mbps(await timed(calls, 1, pooled)),
          pool4MBps: mbps(await timed(calls, 4, pooled)),
          pool4xMBps: 0,
        };
        copies = Array.from({ length: calls + POOL_WARMUP_CALLS }, () => new Uint8Array(data));
        cell.pool4xMBps = mbps(await timed(calls, 4, handed));
        copies = [];
        cells.push(cell);
        process.stderr.write(`  ${op} ${sizeBytes} B: inline ${cell.inlineMBps.toFixed(0)} MB/s, pool c1 ${cell.pool1MBps.toFixed(0)}, c4 ${cell.pool4MBps.toFixed(0)}, c4 transfer ${cell.pool4xMBps.toFixed(0)}\n`);
      }
    }
  } finally {
    await workers.close();
  }
  console.log(`\n${poolTable(cells)}\n`);
  for (const op of POOL_OPS) {
    const mine = cells.filter((c) => c.op === op);
    console.log(`${op}: pool c1 wins from ${crossover(mine, (c) => c.pool1MBps)}, pool c4 wins from ${crossover(mine, (c) => c.pool4MBps)}, c4 transfer from ${crossover(mine, (c) => c.pool4xMBps)}`);
  }
  if (args.json) await fsp.writeFile(args.json, `${JSON.stringify({ machine: process.version, cells }, null, 2)}\n`);
  return 0;
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`;
}

/** Smallest size from which the pool is at least as fast as inline at every larger size too. */
function crossover(cells: PoolCell[], pool: (c: PoolCell) => number): string {
  let from: PoolCell | undefined;
  for (const c of cells) {
    if (pool(c) >= c.inlineMBps) from ??= c;
    else from = undefined;
  }
  return from ? sizeText(from.sizeBytes) : 'never';
}

export function poolTable(cells: readonly PoolCell[]): string {
  const rows = cells.map((c) => [
    c.op,
    sizeText(c.sizeBytes),
    c.inlineMBps.toFixed(0),
    c.pool1MBps.toFixed(0),
    c.pool4MBps.toFixed(0),
    `${(c.pool1MBps / c.inlineMBps).toFixed(2)}x`,
    `${(c.pool4MBps / c.inlineMBps).toFixed(2)}x`,
    c.pool4xMBps.toFixed(0),
    `${(c.pool4xMBps / c.inlineMBps).toFixed(2)}x`,
  ]);
  return table(['op', 'size', 'inline MB/s', 'pool c1 MB/s', 'pool c4 MB/s', 'c1/inline', 'c4/inline', 'c4 xfer MB/s', 'c4 xfer/inline'], rows);
}
