// `shoal show job` / `shoal job show`: snapshots per target as AIS prints them (NODE, ID, KIND, BUCKET,
// OBJECTS, BYTES, START, END, STATE), and the sums the progress bar uses.
import type { Snap } from '../protocol/xact.ts';
import { formatSize, renderTable } from './format.ts';

export const JOB_HEADERS = ['NODE', 'ID', 'KIND', 'BUCKET', 'OBJECTS', 'BYTES', 'START', 'END', 'STATE'] as const;

export type JobState = 'Running' | 'Idle' | 'Paused' | 'Finished' | 'Aborted';

/** Go's zero time (and an empty or unparsable one) means "not set". */
export function isZeroTime(t: string | undefined): boolean {
  if (t === undefined || t === '' || t.startsWith('0001-')) return true;
  return Number.isNaN(Date.parse(t));
}

export function jobState(s: Pick<Snap, 'aborted' | 'end-time' | 'is_idle'> & { state?: string }): JobState {
  if (s.aborted) return 'Aborted';
  if (!isZeroTime(s['end-time'])) return 'Finished';
  if (s.state === 'paused') return 'Paused';
  if (s.is_idle) return 'Idle';
  return 'Running';
}

/** RFC 3339 → `15:04:05` (UTC), as `ais show job` prints times; `-` when unset. */
export function formatClock(t: string): string {
  if (isZeroTime(t)) return '-';
  const d = new Date(Date.parse(t));
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

function bucketCell(s: Snap): string {
  const name = s.bck?.name ?? '';
  return name === '' ? '-' : `${s.bck.provider || 'ais'}://${name}`;
}

/** One row per (target, job), ordered by start time, then id, then node. */
export function jobRows(multi: Readonly<Record<string, readonly Snap[]>>): string[][] {
  const rows: { start: string; id: string; node: string; cells: string[] }[] = [];
  for (const [node, snaps] of Object.entries(multi)) {
    for (const s of snaps ?? []) {
      rows.push({
        start: s['start-time'],
        id: s.id,
        node,
        cells: [
          `t[${node}]`,
          s.id,
          s.kind,
          bucketCell(s),
          s.stats?.['loc-objs'] ?? '0',
          formatSize(s.stats?.['loc-bytes'] ?? '0'),
          formatClock(s['start-time']),
          formatClock(s['end-time']),
          jobState(s),
        ],
      });
    }
  }
  rows.sort((a, b) => (a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.id !== b.id ? (a.id < b.id ? -1 : 1) : a.node < b.node ? -1 : 1));
  return rows.map((r) => r.cells);
}

export function renderJobs(multi: Readonly<Record<string, readonly Snap[]>>): string {
  return renderTable(JOB_HEADERS, jobRows(multi));
}

export interface JobTotals {
  /** Objects/bytes the job has handled (loc-*: copy-bck counts each source object once, where it is
   * read; in/out are the same objects again on the wire, so they are not added). */
  objs: number;
  bytes: number;
  snaps: number;
  ended: number;
  aborted: number;
  abortErr: string;
}

/** Sums every target's counters of one job. */
export function jobTotals(multi: Readonly<Record<string, readonly Snap[]>>): JobTotals {
  const t: JobTotals = { objs: 0, bytes: 0, snaps: 0, ended: 0, aborted: 0, abortErr: '' };
  for (const snaps of Object.values(multi)) {
    for (const s of snaps ?? []) {
      t.snaps++;
      t.objs += Number(s.stats?.['loc-objs'] ?? 0);
      t.bytes += Number(s.stats?.['loc-bytes'] ?? 0);
      if (!isZeroTime(s['end-time'])) t.ended++;
      if (s.aborted) {
        t.aborted++;
        if (t.abortErr === '') t.abortErr = s['abort-err'] || 'aborted';
      }
    }
  }
  return t;
}
