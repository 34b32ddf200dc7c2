// Plain-text tables for the terminal; the same figures go to --json.
import type { LoadResult } from './load.ts';
import type { ListPass } from './list.ts';
import type { NodeRss } from './cluster.ts';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const num = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number): string => (n >= 100 ? num(n, 0) : n >= 10 ? num(n, 1) : num(n, 2));
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');

export interface Ratios {
  baseline: string;
  opsPerSec: number | undefined;
  p99: number | undefined;
}

export function loadRatios(results: readonly LoadResult[]): Ratios[] {
  const shoal = results.find((r) => r.target === 'shoal');
  return results
    .filter((r) => r.target !== 'shoal')
    .map((r) => ({
      baseline: r.target,
      opsPerSec: shoal && r.opsPerSec > 0 ? shoal.opsPerSec / r.opsPerSec : undefined,
      p99: shoal && r.p99Ms > 0 ? shoal.p99Ms / r.p99Ms : undefined,
    }));
}

export function loadTable(results: readonly LoadResult[]): string {
  const shoal = results.find((r) => r.target === 'shoal');
  const rows = results.map((r) => [
    r.target,
    num(r.opsPerSec),
    num(r.mibPerSec, 1),
    ms(r.p50Ms),
    ms(r.p90Ms),
    ms(r.p99Ms),
    num(r.errors),
    r === shoal || !shoal ? '' : ratio(shoal.opsPerSec, r.opsPerSec),
    r === shoal || !shoal ? '' : ratio(shoal.p99Ms, r.p99Ms),
  ]);
  return table(['target', 'ops/s', 'MiB/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'shoal÷ ops/s', 'shoal÷ p99'], rows);
}

export function listTable(shoal: readonly ListPass[], baseline: ListPass | undefined): string {
  const rows = shoal.map((p) => [
    `shoal ${p.format}`,
    num(p.names),
    num(p.pages),
    num(p.elapsedMs, 0),
    num(p.namesPerSec),
    baseline ? ratio(p.namesPerSec, baseline.namesPerSec) : '',
  ]);
  if (baseline) rows.push(['fs.readdir', num(baseline.names), '1', num(baseline.elapsedMs, 0), num(baseline.namesPerSec), '']);
  return table(['target', 'names', 'pages', 'ms', 'names/s', 'shoal÷readdir'], rows);
}

export function rssTable(nodes: readonly NodeRss[]): string {
  return table(
    ['node', 'role', 'pid', 'peak RSS MiB'],
    nodes.map((n) => [n.id, n.role, String(n.pid), n.peakRssMiB === undefined ? '?' : num(n.peakRssMiB, 1)]),
  );
}
