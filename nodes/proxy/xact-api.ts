// AIS xaction endpoints at the proxy: `PUT /v1/cluster {action: start|stop}`, `GET /v1/cluster?what=
// status|status_all|qryxstats|running_all`, and the bucket-scoped jobs `GET /v1/buckets/<b>
// {action: summary-bck}` (202 + xid, then poll with `uuid`: 202 until 200 + results, as AIS api/bsumm.go)
// and `DELETE /v1/buckets/<b> {action: delete-listrange|evict-listrange}` (200 + xid).
import type { HttpResponse } from '../../runtime/http/types.ts';
import { ErrInvalidArgument, ErrNotFound, ErrNotImplemented, ErrUnknownAction } from '../../protocol/errors.ts';
import type { BckRefWire } from '../../protocol/intra.ts';
import { parseArgsMsg, parseQueryMsg } from '../../protocol/xact.ts';
import { parseBashTemplate } from '../../protocol/template.ts';
import type { ActMsg } from '../common/actmsg.ts';
import { jsonResponse, textResponse } from '../common/http.ts';
import { ProxyXacts } from './xact.ts';

export const XactAct = { start: 'start', stop: 'stop' } as const;
export const XactWhat = { status: 'status', statusAll: 'status_all', qryxstats: 'qryxstats', runningAll: 'running_all' } as const;
export const BckJobAct = { summaryBck: 'summary-bck', deleteListRange: 'delete-listrange', evictListRange: 'evict-listrange' } as const;

export function isXactAction(action: string): boolean {
  return action === XactAct.start || action === XactAct.stop;
}

export function isXactWhat(what: string): boolean {
  return (Object.values(XactWhat) as string[]).includes(what);
}

/** `PUT /v1/cluster {"action":"start"|"stop","value":ArgsMsg}`. */
export async function clusterXactAction(x: ProxyXacts, msg: ActMsg): Promise<HttpResponse> {
  const args = parseArgsMsg(msg.value);
  if (msg.action === XactAct.start) {
    const kind = ProxyXacts.kindOf(args.kind, true);
    if (kind === 'resilver') return textResponse(200, await x.start(kind, undefined, undefined, resilverTarget(args.daemonId, msg.value)));
    return textResponse(200, await x.start(kind, args.bck));
  }
  await x.stop(args.id, args.kind);
  return { status: 200 };
}

/**
 * Resilver runs on one target (AIS since 4.2): its id in ArgsMsg `DaemonID` (also accepted as
 * `node`); without one the proxy answers 501, as AIS.
 */
function resilverTarget(daemonId: string, value: unknown): string {
  const node = typeof value === 'object' && value !== null && 'node' in value ? (value as { node: unknown }).node : undefined;
  const tid = daemonId || (typeof node === 'string' ? node : '');
  if (tid === '') throw new ErrNotImplemented('cannot run resilver on all targets in the cluster - operation not supported');
  return tid;
}

/** `GET /v1/cluster?what=...` with a QueryMsg body. */
export async function clusterXactQuery(x: ProxyXacts, what: string, body: unknown): Promise<HttpResponse> {
  const q = parseQueryMsg(body);
  const kind = q.kind === '' ? '' : ProxyXacts.kindOf(q.kind, false);
  switch (what) {
    case XactWhat.status:
      return jsonResponse(200, await x.status(q.id));
    case XactWhat.statusAll:
      return jsonResponse(200, x.statusAll(kind, q.onlyRunning));
    case XactWhat.qryxstats:
      return jsonResponse(200, await x.query({ id: q.id || undefined, kind: kind || undefined, bck: q.bck, onlyRunning: q.onlyRunning }, q.node));
    default: {
      const all = await x.query({ kind: kind || undefined, bck: q.bck, onlyRunning: true }, q.node);
      const names = new Set<string>();
      for (const snaps of Object.values(all)) for (const s of snaps) names.add(`${s.kind}[${s.id}]`);
      return jsonResponse(200, [...names].sort());
    }
  }
}

/** AIS cmn.BsummResult for one bucket. */
export function bsummResult(bck: BckRefWire, objs: number, bytes: number) {
  return {
    name: bck.name,
    provider: bck.provider,
    namespace: { uuid: '', name: '' },
    ObjCount: { obj_count_present: String(objs), obj_count_remote: '0' },
    ObjSize: { obj_min_size: 0, obj_avg_size: objs === 0 ? 0 : Math.floor(bytes / objs), obj_max_size: 0 },
    TotalSize: { size_on_disk: String(bytes), size_all_present_objs: String(bytes), size_all_remote_objs: '0', total_disks_size: '0' },
    used_pct: 0,
    is_present: true,
  };
}

/** `GET /v1/buckets/<b> {"action":"summary-bck","value":BsummCtrlMsg}`. */
export async function bucketSummary(x: ProxyXacts, bck: BckRefWire, value: unknown): Promise<HttpResponse> {
  const v = (value ?? {}) as { uuid?: unknown; prefix?: unknown };
  const uuid = typeof v.uuid === 'string' ? v.uuid : '';
  if (uuid === '') {
    const prefix = typeof v.prefix === 'string' ? v.prefix : '';
    return textResponse(202, await x.start('summary-bck', bck, { prefix }));
  }
  const agg = x.aggregate(uuid);
  const totals = x.totals(uuid);
  if (!agg || !totals) throw new ErrNotFound(`bucket summary "${uuid}" not found`);
  if (!totals.done) return { status: 202 };
  if (agg.abortErr) throw new ErrInvalidArgument(`bucket summary "${uuid}" failed: ${agg.abortErr}`);
  return jsonResponse(200, [bsummResult(bck, totals.counters.locObjs, totals.counters.locBytes)]);
}

/** `DELETE /v1/buckets/<b> {"action":"delete-listrange"|"evict-listrange","value":ListRange}`. */
export async function bucketListRange(x: ProxyXacts, bck: BckRefWire, msg: ActMsg): Promise<HttpResponse> {
  if (msg.action === BckJobAct.evictListRange && bck.provider === 'ais') {
    // AIS: eviction applies to remote buckets only (their in-cluster copies).
    throw new ErrInvalidArgument(`cannot evict objects from ${bck.provider}://${bck.name}: not a remote bucket`);
  }
  if (msg.action !== BckJobAct.deleteListRange && msg.action !== BckJobAct.evictListRange) {
    throw new ErrUnknownAction(`invalid action "${msg.action}" for DELETE /v1/buckets/<bucket>`);
  }
  const v = (msg.value ?? {}) as Record<string, unknown>;
  if (v.objnames !== undefined && (!Array.isArray(v.objnames) || v.objnames.some((n) => typeof n !== 'string'))) {
    throw new ErrInvalidArgument('"objnames" must be an array of strings');
  }
  if (v.template !== undefined && typeof v.template !== 'string') throw new ErrInvalidArgument('"template" must be a string');
  if (typeof v.template === 'string' && v.template !== '' && !(Array.isArray(v.objnames) && v.objnames.length > 0)) {
    // a template without a range is a prefix, as AIS
    if (v.template.includes('{')) parseBashTemplate(v.template);
  }
  const lr = {
    objnames: v.objnames as string[] | undefined,
    template: typeof v.template === 'string' && v.template.includes('{') ? v.template : undefined,
    prefix: typeof v.template === 'string' && !v.template.includes('{') ? v.template : undefined,
    coer: v.coer === true,
  };
  const kind = msg.action === BckJobAct.deleteListRange ? 'delete-listrange' : 'evict-listrange';
  return textResponse(200, await x.start(kind, bck, lr));
}
