// `--op rebalance`: the control calls it makes, all over the public API (AIS join-by-admin,
// decommission-node, `what=status` and `what=qryxstats`), and the sum of per-target counters.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from './http-client.ts';
import { jsonBody, mustSend } from './http-client.ts';

/** Status poll period: the measured time is at most this much late. */
export const REB_POLL_MS = 20;
/** A rebalance that runs longer than this is a failure of the run, not a figure. */
export const REB_WAIT_MS_MAX = 3_600_000;

/** The parts of an AIS Snap the bench reads (numbers are JSON strings, as AIS). */
export interface RebSnapView {
  id: string;
  state?: string;
  err?: string;
  'abort-err'?: string;
  aborted?: boolean;
  stats: Partial<Record<'loc-objs' | 'loc-bytes' | 'out-objs' | 'out-bytes' | 'in-objs' | 'in-bytes', string>>;
}

export interface RebTotals {
  /** Targets that reported a snap for the id. */
  targets: number;
  locObjs: number;
  outObjs: number;
  outBytes: number;
  inObjs: number;
  inBytes: number;
  /** `<tid>: <err>` of every target with a non-fatal error or an abort. */
  errors: string[];
  /** Per target: its state (running, finished, aborted). */
  states: Record<string, string>;
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? 0 : Number(s));

/** Sums the counters of rebalance `id` over `{"<tid>": [Snap]}` (a target may list older runs too). */
export function sumRebSnaps(byTarget: Record<string, readonly RebSnapView[]>, id: string): RebTotals {
  const t: RebTotals = { targets: 0, locObjs: 0, outObjs: 0, outBytes: 0, inObjs: 0, inBytes: 0, errors: [], states: {} };
  for (const [tid, snaps] of Object.entries(byTarget)) {
    const s = snaps.find((x) => x.id === id);
    if (!s) continue;
    t.targets++;
    t.locObjs += num(s.stats['loc-objs']);
    t.outObjs += num(s.stats['out-objs']);
    t.outBytes += num(s.stats['out-bytes']);
    t.inObjs += num(s.stats['in-objs']);
    t.inBytes += num(s.stats['in-bytes']);
    t.states[tid] = s.state ?? (s.aborted ? 'aborted' : '?');
    const err = s['abort-err'] || s.err;
    if (err) t.errors.push(`${tid}: ${err}`);
  }
  return t;
}

export async function rebStats(client: HttpClient, proxyUrl: string, id: string): Promise<RebTotals> {
  const r = await mustSend(client, 'GET', `${proxyUrl}/v1/cluster?what=qryxstats`, jsonBody({ id }));
  return sumRebSnaps(JSON.parse(r.body.toString('utf8')) as Record<string, RebSnapView[]>, id);
}

/** `POST /v1/cluster/join-by-admin` of a standby target; returns its id and the rebalance it started. */
export async function joinByAdmin(client: HttpClient, proxyUrl: string, nodeUrl: string): Promise<{ daemonId: string; rebId: string }> {
  const r = await mustSend(client, 'POST', `${proxyUrl}/v1/cluster/join-by-admin`, jsonBody({ public_net: { direct_url: nodeUrl } }));
  const j = JSON.parse(r.body.toString('utf8')) as { daemon_id?: string; rebalance_id?: string };
  if (!j.rebalance_id) throw new Error(`join-by-admin of ${nodeUrl} started no rebalance: ${r.body.toString('utf8')}`);
  return { daemonId: j.daemon_id ?? '', rebId: j.rebalance_id };
}

/** `PUT /v1/cluster {"action":"decommission-node"}`: returns the rebalance id. */
export async function decommission(client: HttpClient, proxyUrl: string, sid: string): Promise<string> {
  const r = await mustSend(client, 'PUT', `${proxyUrl}/v1/cluster`, jsonBody({ action: 'decommission-node', value: { sid, skip_rebalance: false, rm_user_data: false, no_shutdown: false } }));
  const id = r.body.toString('utf8').trim();
  if (!id) throw new Error(`decommission of ${sid} started no rebalance`);
  return id;
}

/**
 * Polls `what=status` until the rebalance ended on every target; throws if it aborted or failed.
 * A 404 right after the trigger (no target has registered the job yet) means "not yet".
 */
export async function waitRebalance(client: HttpClient, proxyUrl: string, id: string, onPoll?: () => void): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const r = await client.send('GET', `${proxyUrl}/v1/cluster?what=status`, { ...jsonBody({ id }), collect: true });
    if (r.status === 200) {
      const s = JSON.parse(r.body.toString('utf8')) as { end_time: number; aborted: boolean; err: string };
      if (s.end_time > 0) {
        if (s.aborted || s.err) throw new Error(`rebalance ${id} ended badly: aborted=${s.aborted} err=${s.err}`);
        return;
      }
    } else if (r.status !== 404) {
      throw new Error(`status of ${id} → ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
    }
    onPoll?.();
    if (performance.now() - t0 > REB_WAIT_MS_MAX) throw new Error(`rebalance ${id} did not end in ${REB_WAIT_MS_MAX} ms`);
    await sleep(REB_POLL_MS);
  }
}
