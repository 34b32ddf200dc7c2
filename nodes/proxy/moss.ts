// GetBatch at the proxy (AIS ais/ml.go httpmlget): validate the MossReq and every bucket it names,
// pick the designated target (DT) — at random, or with `coloc ≥ 1` the target that owns the most
// items by HRW — register the work item there (`moss.begin`; the DT may answer 429), answer the
// client 307 to the DT, and tell every other owner to stream its items to the DT (`moss.send`,
// after the redirect, as AIS v4.5: a sender that does not start is the DT's get-from-neighbor case).
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { bmdGet } from '../../protocol/bmd.ts';
import { bckUname } from '../../protocol/bmd.ts';
import { ErrBckNotFound, ErrInvalidArgument, ErrMethodNotAllowed, ErrNoTargets, ErrNotFound } from '../../protocol/errors.ts';
import {
  beginToWire, MossMsg, parseMossReqJson, planOf, sendToWire, type MossBeginBody, type MossBeginReply, type MossPlan, type MossSendBody,
} from '../../protocol/moss.ts';
import { validateBckName, validateObjName } from '../../protocol/names.ts';
import { PROVIDER_ALIASES } from '../../protocol/apc.ts';
import type { Snode } from '../../protocol/smap.ts';
import type { BckRefWire } from '../../protocol/intra.ts';
import { parseArchiveMime } from '../../runtime/archive/index.ts';
import type { NodeCore } from '../common/node-core.ts';
import { providerOf, readBody } from '../common/http.ts';
import { redirectResponse, relay, QPARAM_SMAP_VERSION } from '../common/redirect.ts';
import { FEATURE_REVERSE_PROXY } from '../../protocol/feat.ts';
import { targetCandidates } from '../cluster/smap.ts';

/** A MossReq body may name many items; more than this is refused unread. */
export const MOSS_REQ_BODY_MAX = 256 * 1024 * 1024;
export const MOSS_BEGIN_TIMEOUT_MS = 10_000;
export const MOSS_SEND_TIMEOUT_MS = 10_000;
/** Query parameter naming the DT in the redirect (AIS apc.QparamTID). */
export const QPARAM_TID = 'tid';

function providerName(p: string): string {
  const v = PROVIDER_ALIASES[p];
  if (v === undefined) throw new ErrInvalidArgument(`x-moss: invalid provider "${p}"`);
  return v;
}

/**
 * The DT: with coloc ≥ 1 the target owning the most items (ties: the lowest id, so the choice is
 * stable); otherwise one at random (AIS HrwTargetTask(GenTie())).
 */
export function chooseDt(targets: readonly Snode[], owners: readonly string[], coloc: number, pickIndex: (n: number) => number): Snode {
  if (targets.length === 0) throw new ErrNoTargets();
  if (coloc < 1) return targets[pickIndex(targets.length)]!;
  const counts = new Map<string, number>();
  for (const o of owners) counts.set(o, (counts.get(o) ?? 0) + 1);
  let best: Snode | undefined;
  for (const t of [...targets].sort((a, b) => (a.daemon_id < b.daemon_id ? -1 : 1))) {
    if (best === undefined || (counts.get(t.daemon_id) ?? 0) > (counts.get(best.daemon_id) ?? 0)) best = t;
  }
  return best!;
}

/** `GET /v1/ml/moss[/<bucket>]`. */
export async function mossGet(core: NodeCore, req: HttpRequest, items: string[]): Promise<HttpResponse> {
  if (req.method !== 'GET') throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET']);
  if (items[2] !== 'moss' || items.length > 4) throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
  const bmd = core.owner.bmd!;
  let dflt: BckRefWire | undefined;
  if (items[3] !== undefined && items[3] !== '') {
    validateBckName(items[3]);
    dflt = { provider: providerOf(req.query), name: items[3] };
  }
  const raw = await readBody(req, MOSS_REQ_BODY_MAX);
  if (raw.length === 0) throw new ErrInvalidArgument('x-moss: missing request body (expecting a JSON MossReq)');
  const mossReq = parseMossReqJson(raw.toString('utf8'));
  const qColoc = req.query.get('coloc');
  if (qColoc !== null && qColoc !== '') {
    const n = Number(qColoc);
    if (!Number.isInteger(n)) throw new ErrInvalidArgument(`x-moss: invalid coloc=${qColoc} (expecting 0, 1, or 2)`);
    mossReq.coloc = n;
  }
  const plan: MossPlan = planOf(mossReq, dflt, providerName, (b, o) => {
    validateBckName(b);
    validateObjName(o);
  });
  const mime = parseArchiveMime(plan.mime);
  if (mime === '.zip' && plan.strm) throw new ErrInvalidArgument('x-moss: zip output cannot be streamed (strm); use multipart or a tar format');
  // Every bucket must exist before anything starts.
  const seen = new Set<string>();
  for (const it of plan.items) {
    const key = `${it.bck.provider}://${it.bck.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!bmdGet(bmd, it.bck.provider, it.bck.name)) throw new ErrBckNotFound(key);
  }
  const smap = core.owner.smap!;
  const targets = targetCandidates(smap);
  if (targets.length === 0) throw new ErrNoTargets();
  const owners = plan.items.map((it) => core.hrw.select(targets, bckUname(it.bck.provider, it.bck.name) + it.objname)!.node.daemon_id);
  const dt = chooseDt(targets.map((t) => t.node), owners, plan.coloc, (n) => core.env.random.int(n));
  const wid = Buffer.from(core.env.random.bytes(9)).toString('base64url');
  const smapVer = Number(smap.version);
  const begin: MossBeginBody = { wid, plan, owners, smapVer };
  const { xid } = await core.ctrl.request<MossBeginReply>(dt.intra_control_net.direct_url, MossMsg.begin, beginToWire(begin), { timeoutMs: MOSS_BEGIN_TIMEOUT_MS });

  // Senders: every other owner, with its items in request order.
  const bySender = new Map<string, number[]>();
  owners.forEach((o, i) => {
    if (o === dt.daemon_id) return;
    let l = bySender.get(o);
    if (l === undefined) bySender.set(o, (l = []));
    l.push(i);
  });
  for (const [tid, indices] of bySender) {
    const t = smap.tmap[tid]!;
    const send: MossSendBody = { xid, wid, dt: dt.daemon_id, indices, items: indices.map((i) => plan.items[i]!), coloc: plan.coloc };
    core.ctrl
      .request(t.intra_control_net.direct_url, MossMsg.send, sendToWire(send), { timeoutMs: MOSS_SEND_TIMEOUT_MS })
      .catch((e: Error) => core.env.log.warn({ xid, wid, sender: tid, err: e.message }, 'x-moss: sender did not start (the DT reads its items from neighbours)'));
  }

  const q = new URLSearchParams(req.query);
  q.set(QPARAM_TID, dt.daemon_id);
  q.set('pid', core.id);
  q.set('utm', String(core.env.clock.realtimeNs()));
  q.set(QPARAM_SMAP_VERSION, String(smapVer));
  const location = `${dt.public_net.direct_url}/v1/ml/moss/${encodeURIComponent(xid)}/${encodeURIComponent(wid)}?${q.toString()}`;
  // Clients that do not follow redirects (feature Reverse-Proxy): the proxy relays the DT's answer.
  if (core.feature(FEATURE_REVERSE_PROXY)) return relay(core.env, req, location, raw);
  return redirectResponse(location);
}
