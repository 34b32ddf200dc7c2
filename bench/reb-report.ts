// Terminal tables of `--op rebalance` (the same figures go to --json).
import type { RebCase, RebGet } from './rebalance.ts';
import { REB_RSS_BUDGET_MIB } from './reb-rss.ts';
import { table } from './report.ts';

const f = (n: number, digits: number): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function sizeText(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function rebCaseTable(cases: readonly RebCase[]): string {
  return table(
    ['case', 'objects', 'moved objs', 'MB moved', 'seconds', 'MB/s', 'objs/s', 'cp -r s', 'cp -r MB/s', 'shoal÷cp', 'CPU s/GB', 'cp CPU s/GB', 'loadavg'],
    cases.map((c) => [
      `${c.label} (${sizeText(c.sizeBytes)})`,
      f(c.objects, 0),
      f(c.totals.outObjs, 0),
      f(c.totals.outBytes / 1e6, 1),
      f(c.elapsedMs / 1000, 2),
      f(c.mbPerSec, 1),
      f(c.totals.outObjs / (c.elapsedMs / 1000), 0),
      c.cp ? f(c.cp.elapsedMs / 1000, 2) : '-',
      c.cp ? f(c.cp.mbPerSec, 1) : '-',
      c.cp && c.cp.mbPerSec > 0 ? `${(c.mbPerSec / c.cp.mbPerSec).toFixed(2)}x` : '-',
      c.cpuSec === undefined || c.totals.outBytes === 0 ? '?' : f(c.cpuSec / (c.totals.outBytes / 1e9), 1),
      c.cp?.cpuSec === undefined ? '?' : f(c.cp.cpuSec / (c.cp.bytes / 1e9), 2),
      `${c.loadAvg[0].toFixed(1)}→${c.loadAvg[1].toFixed(1)}`,
    ]),
  );
}

export function rebGetTable(g: RebGet): string {
  const rows = [g.idle, g.during].map((r) => [
    r.phase,
    f(r.ops, 0),
    f(r.elapsedMs / 1000, 1),
    f(r.opsPerSec, 0),
    f(r.p50Ms, 2),
    f(r.p90Ms, 2),
    f(r.p99Ms, 2),
    f(r.maxMs, 1),
    f(r.errors, 0),
  ]);
  return `${table(['phase', 'GETs', 'seconds', 'ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors'], rows)}\np99 rebalance ÷ idle: ${g.p99Ratio.toFixed(2)}x; load average ${g.idleLoadAvg.toFixed(1)} (idle) / ${g.reb.loadAvg[0].toFixed(1)}→${g.reb.loadAvg[1].toFixed(1)} (rebalance)`;
}

export function rebRssTable(cases: readonly RebCase[]): string {
  const rows: string[][] = [];
  for (const c of cases) {
    for (const r of c.rss) {
      rows.push([
        `${c.label} ${c.rebId}`,
        r.id,
        r.peakMiB === undefined ? '?' : f(r.peakMiB, 1),
        r.hwmReset ? 'VmHWM' : 'sampled',
        r.peakMiB === undefined ? '?' : r.peakMiB <= REB_RSS_BUDGET_MIB ? 'OK' : 'OVER BUDGET',
      ]);
    }
  }
  return table(['rebalance', 'target', 'peak RSS MiB', 'how', `≤ ${REB_RSS_BUDGET_MIB} MiB`], rows);
}
