// Many seeds in a row (each bounded by its own run): a summary row per seed and the failures with
// their replay commands.
import { replayCommand, runSeed, type SimRunOptions, type SimRunResult } from './run.ts';

/** `"1-500"`, `"7"`, `"1,5,9-12"` → the seeds, in order. */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad seed range "${part}" (want N, N-M or a comma list)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`bad seed range "${part}"`);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

export function summaryHeader(): string {
  return `${'seed'.padStart(6)}  ${'result'.padEnd(6)}  ${'ops'.padStart(5)}  ${'failed'.padStart(6)}  ${'sim s'.padStart(8)}  ${'speed'.padStart(8)}  ${'faults (drop/iso/crash(primary)/disk)'.padEnd(38)}  hash`;
}

export function summaryRow(r: SimRunResult): string {
  const s = r.stats;
  const ops = s ? s.puts + s.gets + s.deletes + s.lists : 0;
  const f = r.faults;
  const faults = f ? `${f.connDrops}/${f.isolations}/${f.crashes}(${f.primaryCrashes}p)/${f.diskErrors + f.metaErrors + f.indexErrors}` : '-';
  const speed = r.wallMs > 0 ? `${(r.virtualMs / r.wallMs).toFixed(1)}x` : '-';
  const result = r.ok ? (r.membershipChanged ? 'ok*' : r.lost !== undefined ? 'okL' : 'ok') : 'FAIL';
  return `${String(r.seed).padStart(6)}  ${result.padEnd(6)}  ${String(ops).padStart(5)}  ${String(s?.failed ?? 0).padStart(6)}  ${(r.virtualMs / 1000).toFixed(3).padStart(8)}  ${speed.padStart(8)}  ${faults.padEnd(38)}  ${r.traceHash}`;
}

export interface SweepResult {
  results: SimRunResult[];
  failed: SimRunResult[];
}

/** Runs every seed; `onResult` sees each as it finishes (for live output). */
export async function runSweep(seeds: number[], opts: SimRunOptions, onResult?: (r: SimRunResult) => void): Promise<SweepResult> {
  const results: SimRunResult[] = [];
  for (const seed of seeds) {
    const r = await runSeed(seed, opts);
    results.push(r);
    onResult?.(r);
  }
  return { results, failed: results.filter((r) => !r.ok) };
}

export function failureLines(r: SimRunResult, opts: SimRunOptions): string[] {
  return [`seed ${r.seed} FAILED: ${r.error?.message ?? ''}`, `  replay: ${replayCommand(r.seed, opts)}`];
}
