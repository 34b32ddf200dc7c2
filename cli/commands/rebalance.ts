// `shoal show rebalance [REB_ID] [--all] [--refresh DURATION [--count N]]`, as `ais show rebalance`
// (cmd/cli/cli/reb_hdlr.go): per target the objects and bytes it sent (TX) and received (RX), start,
// end and state, a total per rebalance, and a last line with the cluster-wide state.
import type { Command } from 'commander';
import { ErrInvalidArgument, ErrRemote } from '../../protocol/errors.ts';
import type { Snap, XactStatus } from '../../protocol/xact.ts';
import { parseNonNegInt } from '../args.ts';
import type { CliContext } from '../context.ts';
import { parseDuration } from '../duration.ts';
import { formatSize, renderTable } from '../format.ts';
import { hasEnded, jobStatus, queryJobs, type MultiSnap } from '../job-api.ts';
import { formatClock, isZeroTime, jobState } from '../job-table.ts';

export const REB_HEADERS = ['REB ID', 'NODE', 'TX OBJECTS', 'TX BYTES', 'RX OBJECTS', 'RX BYTES', 'START', 'END', 'STATE'] as const;
/** Upper bound on `--refresh` reports when no `--count` is given (hours at any sane interval). */
export const REFRESH_REPORTS_MAX = 10_000;
const REB_KIND = 'rebalance';

export interface TargetRebSnap {
  tid: string;
  snap: Snap;
}

export type RebState = 'running' | 'completed' | 'aborted';

/** `g12` → 12; anything else sorts after every generation, by name. */
function generation(id: string): number {
  const m = /^g(\d+)$/.exec(id);
  return m ? Number(m[1]) : Number.POSITIVE_INFINITY;
}

function compareRebIds(a: string, b: string): number {
  const ga = generation(a);
  const gb = generation(b);
  if (ga !== gb) return ga < gb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Rebalance snapshots grouped by id, oldest generation first (numerically: g9 before g10), targets sorted. */
export function groupRebSnaps(multi: Readonly<Record<string, readonly Snap[] | null>>, id?: string): TargetRebSnap[][] {
  const byId = new Map<string, TargetRebSnap[]>();
  for (const [tid, snaps] of Object.entries(multi)) {
    for (const snap of snaps ?? []) {
      if (snap.kind !== REB_KIND && snap.kind !== '') continue;
      if (id !== undefined && snap.id !== id) continue;
      const group = byId.get(snap.id) ?? [];
      group.push({ tid, snap });
      byId.set(snap.id, group);
    }
  }
  return [...byId.keys()].sort(compareRebIds).map((k) => byId.get(k)!.sort((a, b) => (a.tid < b.tid ? -1 : a.tid > b.tid ? 1 : 0)));
}

function n(v: string | undefined): number {
  const x = Number(v ?? 0);
  return Number.isFinite(x) ? x : 0;
}

export function rebRow({ tid, snap }: TargetRebSnap): string[] {
  const s = snap.stats;
  return [
    snap.id,
    `t[${tid}]`,
    String(n(s?.['out-objs'])),
    formatSize(String(n(s?.['out-bytes']))),
    String(n(s?.['in-objs'])),
    formatSize(String(n(s?.['in-bytes']))),
    formatClock(snap['start-time']),
    formatClock(snap['end-time']),
    jobState(snap),
  ];
}

/** One rebalance: the table, then `g7: N objects migrated (total size S)` when anything moved (AIS). */
export function renderRebGroup(group: readonly TargetRebSnap[]): string {
  let out = renderTable(REB_HEADERS, group.map(rebRow));
  let objs = 0;
  let bytes = 0;
  for (const { snap } of group) {
    objs += n(snap.stats?.['out-objs']);
    bytes += n(snap.stats?.['out-bytes']);
  }
  if (objs > 0 && group.length > 0) out += `${group[0]!.snap.id}: ${objs} objects migrated (total size ${formatSize(String(bytes))})\n`;
  return out;
}

/** Cluster-wide state from the snapshots alone: any target aborted → aborted; all ended → completed. */
export function rebStateFromSnaps(group: readonly TargetRebSnap[]): RebState {
  if (group.some(({ snap }) => snap.aborted)) return 'aborted';
  if (group.length > 0 && group.every(({ snap }) => !isZeroTime(snap['end-time']))) return 'completed';
  return 'running';
}

/** Cluster-wide state from the IC status (the proxy's aggregate over every target). */
export function rebStateFromStatus(s: Pick<XactStatus, 'aborted' | 'end_time'>): RebState {
  if (s.aborted) return 'aborted';
  return hasEnded(s) ? 'completed' : 'running';
}

export function rebStateLine(id: string, state: RebState): string {
  return state === 'running' ? `Rebalance ${id} is running.\n` : `Rebalance ${id} ${state}.\n`;
}

export interface ShowRebOpts {
  all?: boolean;
  json?: boolean;
  refresh?: string;
  count?: string;
}

export interface ShowRebDeps {
  sleep(ms: number): Promise<void>;
}

const realDeps: ShowRebDeps = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** The IC status is the authority; if the proxy has none (e.g. it restarted), the snapshots decide. */
async function clusterState(ctx: CliContext, group: readonly TargetRebSnap[]): Promise<RebState> {
  const id = group[0]!.snap.id;
  try {
    return rebStateFromStatus(await jobStatus(ctx.client(), id));
  } catch (err) {
    if (err instanceof ErrRemote && err.status === 404) return rebStateFromSnaps(group);
    throw err;
  }
}

/** One report; returns the latest rebalance's state, or undefined when there is none. */
async function reportOnce(ctx: CliContext, id: string | undefined, opts: ShowRebOpts): Promise<RebState | undefined> {
  let multi: MultiSnap;
  try {
    multi = await queryJobs(ctx.client(), { kind: REB_KIND, id, onlyRunning: false });
  } catch (err) {
    if (err instanceof ErrRemote && err.status === 404) {
      ctx.out(id === undefined ? 'Rebalance is not running or has not started yet.\n' : `Rebalance ${id} not found.\n`);
      return undefined;
    }
    throw err;
  }
  const groups = groupRebSnaps(multi, id);
  if (opts.json) {
    ctx.out(JSON.stringify(multi, null, 2) + '\n');
  }
  if (groups.length === 0) {
    if (!opts.json) ctx.out(id === undefined ? 'No rebalance has run in this cluster yet.\n' : `Rebalance ${id} not found.\n`);
    return undefined;
  }
  const latest = groups[groups.length - 1]!;
  const state = await clusterState(ctx, latest);
  if (opts.json) return state;
  const shown = opts.all === true ? groups : [latest];
  ctx.out(shown.map(renderRebGroup).join('\n'));
  ctx.out(`\n${rebStateLine(latest[0]!.snap.id, state)}`);
  return state;
}

export async function showRebalance(ctx: CliContext, id: string | undefined, opts: ShowRebOpts, deps: ShowRebDeps = realDeps): Promise<void> {
  if (id !== undefined && !/^g\d+$/.test(id)) throw new ErrInvalidArgument(`invalid rebalance id "${id}": expected g<N>, e.g. g7`);
  if (opts.count !== undefined && opts.refresh === undefined) throw new ErrInvalidArgument('--count requires --refresh');
  const refreshMs = opts.refresh === undefined ? 0 : parseDuration(opts.refresh, '--refresh');
  if (opts.refresh !== undefined && refreshMs <= 0) throw new ErrInvalidArgument(`invalid --refresh "${opts.refresh}": must be greater than zero`);
  const count = opts.count === undefined ? undefined : parseNonNegInt(opts.count, '--count');
  if (count === 0) throw new ErrInvalidArgument('--count must be at least 1');
  const reports = refreshMs === 0 ? 1 : Math.min(count ?? REFRESH_REPORTS_MAX, REFRESH_REPORTS_MAX);
  for (let i = 0; i < reports; i++) {
    if (i > 0) {
      await deps.sleep(refreshMs);
      ctx.out('\n');
    }
    const state = await reportOnce(ctx, id, opts);
    // keep watching only while there is a rebalance to watch (AIS stops once the latest one ended)
    if (state !== 'running' && state !== undefined) return;
  }
}

/** `show rebalance` under `shoal show`. */
export function registerShowRebalance(show: Command, ctx: CliContext): void {
  show
    .command('rebalance')
    .description('show the latest global rebalance (or all with --all): per-target progress and the cluster-wide state')
    .argument('[id]', 'rebalance id (g<N>)')
    .option('-a, --all', 'show every rebalance the targets remember, oldest first')
    .option('--refresh <duration>', 'report again every DURATION (e.g. 2s) until the rebalance ends')
    .option('--count <n>', 'with --refresh: at most this many reports')
    .option('--json', 'print the snapshots as JSON (per target)')
    .action(async (id: string | undefined, opts: ShowRebOpts) => {
      await showRebalance(ctx, id, opts);
    });
}
