// Job (xaction) calls of the AIS API as the CLI uses them (reference §5): start/stop by ArgsMsg, IC
// status, snapshots, the bucket-scoped jobs (summary-bck, delete-listrange, copy-bck), and waiting.
import { ErrRemote } from '../protocol/errors.ts';
import { ZERO_TIME, type Snap, type XactStatus } from '../protocol/xact.ts';
import type { BckRef } from './args.ts';
import type { AisClient } from './client.ts';
import { pollUntil } from './poll.ts';

export type MultiSnap = Record<string, Snap[]>;

/** AIS cmn.BsummResult, the fields the CLI prints. */
export interface BsummResult {
  name: string;
  provider: string;
  ObjCount: { obj_count_present: string; obj_count_remote?: string };
  TotalSize: { size_all_present_objs: string; size_on_disk?: string };
}

function wireBck(bck: BckRef): { name: string; provider: string } {
  return { name: bck.name, provider: bck.provider };
}

function xidOf(text: string, what: string): string {
  const xid = text.trim();
  if (xid === '') throw new ErrRemote('ErrHTTP', 500, `${what}: the cluster returned no job id`);
  return xid;
}

/** `PUT /v1/cluster {"action":"start","value":{Kind, Bck}}` → xid. */
export async function startJob(c: AisClient, kind: string, bck?: BckRef): Promise<string> {
  const value = bck === undefined ? { Kind: kind } : { Kind: kind, Bck: wireBck(bck) };
  const r = await c.act('PUT', c.url(['cluster']), { action: 'start', value });
  return xidOf(r.text, `start ${kind}`);
}

/** `PUT /v1/cluster {"action":"stop","value":{ID}|{Kind}}`. */
export async function stopJob(c: AisClient, target: { id: string } | { kind: string }): Promise<void> {
  const value = 'id' in target ? { ID: target.id } : { Kind: target.kind };
  await c.act('PUT', c.url(['cluster']), { action: 'stop', value });
}

/** IC status of one job (`what=status`); unknown id → the server's 404. */
export async function jobStatus(c: AisClient, id: string): Promise<XactStatus> {
  const r = await c.act('GET', c.url(['cluster'], { what: 'status' }), { id });
  return JSON.parse(r.text) as XactStatus;
}

export async function jobStatusAll(c: AisClient, kind: string, onlyRunning: boolean): Promise<XactStatus[]> {
  const r = await c.act('GET', c.url(['cluster'], { what: 'status_all' }), { kind, show_active: onlyRunning });
  return (JSON.parse(r.text) as XactStatus[] | null) ?? [];
}

/** Snapshots per target (`what=qryxstats`). */
export async function queryJobs(c: AisClient, q: { id?: string; kind?: string; onlyRunning: boolean }): Promise<MultiSnap> {
  const body = { id: q.id ?? '', kind: q.kind ?? '', show_active: q.onlyRunning };
  const r = await c.act('GET', c.url(['cluster'], { what: 'qryxstats' }), body);
  return (JSON.parse(r.text) as MultiSnap | null) ?? {};
}

/** `GET /v1/buckets/B {"action":"summary-bck"}` → 202 + xid. */
export async function startSummary(c: AisClient, bck: BckRef, prefix = ''): Promise<string> {
  const r = await c.act('GET', c.bckUrl(bck), { action: 'summary-bck', value: { uuid: '', prefix } });
  return xidOf(r.text, 'bucket summary');
}

/** One poll of a summary: undefined while 202 (still running), the results at 200. */
export async function pollSummary(c: AisClient, bck: BckRef, xid: string): Promise<BsummResult[] | undefined> {
  const r = await c.act('GET', c.bckUrl(bck), { action: 'summary-bck', value: { uuid: xid } });
  if (r.status === 202) return undefined;
  return JSON.parse(r.text) as BsummResult[];
}

export type ListRange = { template: string } | { objnames: string[] };

/** `DELETE /v1/buckets/B {"action":"delete-listrange","value":{template|objnames}}` → xid. */
export async function deleteListRange(c: AisClient, bck: BckRef, lr: ListRange): Promise<string> {
  const r = await c.act('DELETE', c.bckUrl(bck), { action: 'delete-listrange', value: lr });
  return xidOf(r.text, 'delete-listrange');
}

/** AIS bucket uname: `ais/@#/dst/` (provider, namespace, name), as `bck_to` carries it. */
export function bckUname(bck: BckRef): string {
  return `${bck.provider}/@#/${bck.name}/`;
}

/** `POST /v1/buckets/SRC?bck_to=ais/@%23/DST/ {"action":"copy-bck","value":{prefix,dry_run}}` → xid. */
export async function copyBucket(c: AisClient, src: BckRef, dst: BckRef, opts: { prefix: string; dryRun: boolean }): Promise<string> {
  const url = c.url(['buckets', encodeURIComponent(src.name)], { bck_to: bckUname(dst), ...(src.provider === 'ais' ? {} : { provider: src.provider }) });
  const r = await c.act('POST', url, { action: 'copy-bck', value: { prefix: opts.prefix, dry_run: opts.dryRun } });
  return xidOf(r.text, 'copy-bck');
}

/** `end_time` arrives as unix ns, a number or a decimal string. */
export function hasEnded(s: Pick<XactStatus, 'end_time'> | { end_time: number | string }): boolean {
  const t = s.end_time;
  return typeof t === 'string' ? /^\d+$/.test(t) && BigInt(t) > 0n : t > 0;
}

/** Polls `what=status` until the job ends; the final status (aborted or not) is returned. */
export function waitJob(c: AisClient, id: string, timeoutMs: number, onPoll?: (s: XactStatus) => void): Promise<XactStatus> {
  return pollUntil(
    async () => {
      const s = await jobStatus(c, id);
      onPoll?.(s);
      return hasEnded(s) ? s : undefined;
    },
    { timeoutMs, what: id },
  );
}

/** Waits until no job of `kind` is running (AIS: finished with no id); returns the final statuses of
 * the jobs that were running at the first poll (older, long-finished ones are not this wait's business). */
export async function waitKind(c: AisClient, kind: string, timeoutMs: number): Promise<XactStatus[]> {
  let watched: Set<string> | undefined;
  const final = await pollUntil(
    async () => {
      const all = await jobStatusAll(c, kind, false);
      watched ??= new Set(all.filter((s) => !hasEnded(s)).map((s) => s.uuid));
      return all.every(hasEnded) ? all : undefined;
    },
    { timeoutMs, what: kind },
  );
  return final.filter((s) => watched?.has(s.uuid) === true);
}

/** AIS wait conditions (xact/api_wait.go): finished, not-running, started, idle. */
export const WAIT_CONDITIONS = ['finished', 'not-running', 'started', 'idle'] as const;
export type WaitCondition = (typeof WAIT_CONDITIONS)[number];
/** `idle` holds once every target reports idle (or ended) this many polls in a row, as AIS. */
export const IDLE_POLLS_MIN = 2;

/**
 * Waits for `started` (every target has a snapshot of the job or kind) or `idle` (every snapshot idle
 * or ended, twice in a row). `finished` / `not-running` are waitJob / waitKind.
 */
export async function waitSnaps(c: AisClient, q: { id?: string; kind?: string }, cond: 'started' | 'idle', timeoutMs: number, targets: number): Promise<MultiSnap> {
  let idlePolls = 0;
  return pollUntil(
    async () => {
      const multi = await queryJobs(c, { ...q, onlyRunning: false });
      const lists = Object.values(multi).map((l) => l ?? []);
      const have = lists.filter((l) => l.length > 0).length;
      if (cond === 'started') return have >= targets ? multi : undefined;
      const quiet = have > 0 && lists.every((l) => l.every((s) => s.is_idle || s['end-time'] !== ZERO_TIME));
      idlePolls = quiet ? idlePolls + 1 : 0;
      return idlePolls >= IDLE_POLLS_MIN ? multi : undefined;
    },
    { timeoutMs, what: q.id ?? q.kind ?? 'job' },
  );
}
