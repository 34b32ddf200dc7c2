// List objects at the proxy (AIS prxlso): fan out one page request to every target, merge the sorted
// pages, cut at `pagesize`, and answer LsoRes as JSON or msgpack. The continuation token is the last
// name of the page (ais buckets), empty on the last page.
import { Ajv } from 'ajv';
import { pack } from 'msgpackr';
import type { HttpResponse } from '../../runtime/http/types.ts';
import type { LsoEnt, LsoMsg, LsoRes } from '../../protocol/lso.ts';
import { EntryFlag, LIST_PAGE_SIZE_DEFAULT, LIST_PAGE_SIZE_MAX, LSO_PROPS_DEFAULT, LsFlag, LsoProps, type LsoProp } from '../../protocol/apc.ts';
import { Msg, type LsoPageEntry, type LsoPageRequest, type LsoPageResponse } from '../../protocol/intra.ts';
import { ErrInvalidArgument, ErrNoTargets } from '../../protocol/errors.ts';
import { formatGoTime, RFC822 } from '../../protocol/timefmt.ts';
import { activeTargets } from '../../protocol/smap.ts';
import type { NodeCore } from '../common/node-core.ts';
import { jsonResponse } from '../common/http.ts';
import { compareUtf8 } from '../target/storage/list.ts';

export const LIST_PAGE_TIMEOUT_MS = 60_000;

const validateLsoMsg = new Ajv().compile<LsoMsg>({
  type: 'object',
  properties: {
    uuid: { type: 'string' },
    props: { type: 'string' },
    time_format: { type: 'string' },
    prefix: { type: 'string' },
    start_after: { type: 'string' },
    continuation_token: { type: 'string' },
    target: { type: 'string' },
    flags: { type: 'string', pattern: '^[0-9]*$' },
    pagesize: { type: 'integer', minimum: 0 },
    hdr: { type: 'object' },
  },
});

export function parseLsoMsg(value: unknown): LsoMsg {
  const v = value ?? {};
  if (!validateLsoMsg(v)) {
    throw new ErrInvalidArgument(`invalid list-objects message: ${validateLsoMsg.errors?.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
  }
  return v;
}

function parseProps(props: string | undefined): LsoProp[] {
  if (props === undefined || props === '') return [...LSO_PROPS_DEFAULT];
  const out: LsoProp[] = [];
  for (const raw of props.split(',')) {
    const p = raw.trim();
    if (p === '') continue;
    if (!(LsoProps as readonly string[]).includes(p)) throw new ErrInvalidArgument(`invalid list-objects property "${p}"`);
    if (!out.includes(p as LsoProp)) out.push(p as LsoProp);
  }
  if (!out.includes('name')) out.unshift('name');
  return out;
}

/** `[k:v k2:v2]`, as AIS cmn.CustomMD2S. */
function customToString(md: Record<string, string>): string {
  return '[' + Object.entries(md).map(([k, v]) => `${k}:${v}`).join(' ') + ']';
}

export interface ListResult {
  uuid: string;
  token: string;
  entries: LsoPageEntry[];
  props: LsoProp[];
  timeFormat: string;
}

export async function listObjects(core: NodeCore, bck: { provider: string; name: string }, msg: LsoMsg, newUuid: () => string): Promise<ListResult> {
  const smap = core.owner.smap;
  // Targets in maintenance or being decommissioned still hold objects until rebalance moved them.
  const targets = smap ? Object.values(smap.tmap) : [];
  const active = new Set(smap ? activeTargets(smap) : []);
  const pinned = msg.target ? targets.filter((t) => t.daemon_id === msg.target) : targets;
  if (msg.target && pinned.length === 0) throw new ErrInvalidArgument(`target "${msg.target}" is not in the cluster map`);
  if (pinned.length === 0) throw new ErrNoTargets();

  const props = parseProps(msg.props);
  const flags = BigInt(msg.flags || '0');
  const nr = (flags & LsFlag.noRecursion) !== 0n;
  const nameOnly = (flags & LsFlag.nameOnly) !== 0n;
  const pageSize = Math.min(msg.pagesize && msg.pagesize > 0 ? msg.pagesize : LIST_PAGE_SIZE_DEFAULT, LIST_PAGE_SIZE_MAX);
  const token = msg.continuation_token ?? '';
  const startAfter = msg.start_after ?? '';
  const fields = nameOnly ? [] : props.filter((p) => p !== 'name');
  const req: LsoPageRequest = {
    bck,
    prefix: msg.prefix ?? '',
    start_after: token > startAfter ? token : startAfter,
    limit: pageSize,
    props: fields,
    nr,
  };
  const pages = await Promise.all(
    pinned.map((t) => {
      const page = core.ctrl.request<LsoPageResponse>(t.intra_control_net.direct_url, Msg.lsoPage, req, { timeoutMs: LIST_PAGE_TIMEOUT_MS });
      // one shut down in maintenance has nothing left to show (rebalance moved it before the shutdown)
      return active.has(t) || msg.target ? page : page.catch((): LsoPageResponse => ({ entries: [], more: false }));
    }),
  );
  const merged = mergePages(pages.map((p) => p.entries), pageSize);
  const more = pages.some((p) => p.more) || merged.cut;
  const last = merged.entries[merged.entries.length - 1];
  return {
    uuid: msg.uuid || newUuid(),
    token: more && last ? last.n : '',
    entries: merged.entries,
    props: nameOnly ? ['name'] : props,
    timeFormat: msg.time_format || RFC822,
  };
}

/** k-way merge of sorted pages (UTF-8 order, as the targets sort); equal names (virtual dirs seen by several targets) appear once. */
export function mergePages(pages: LsoPageEntry[][], limit: number): { entries: LsoPageEntry[]; cut: boolean } {
  const idx = pages.map(() => 0);
  const out: LsoPageEntry[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < pages.length; i++) {
      const e = pages[i]![idx[i]!];
      if (e === undefined) continue;
      if (best < 0 || compareUtf8(e.n, pages[best]![idx[best]!]!.n) < 0) best = i;
    }
    if (best < 0) return { entries: out, cut: false };
    const e = pages[best]![idx[best]!]!;
    idx[best]!++;
    if (out.length > 0 && out[out.length - 1]!.n === e.n) continue;
    if (out.length === limit) return { entries: out, cut: true };
    out.push(e);
  }
}

function toEnt(e: LsoPageEntry, props: readonly LsoProp[], timeFormat: string): LsoEnt {
  const ent: LsoEnt = { name: e.n };
  const isDir = ((e.f ?? 0) & EntryFlag.isDir) !== 0;
  if (!isDir) {
    for (const p of props) {
      if (p === 'size' && e.s !== undefined) ent.size = String(e.s);
      else if (p === 'checksum' && e.cs) ent.checksum = e.cs;
      else if (p === 'atime' && e.a) ent.atime = formatGoTime(BigInt(e.a), timeFormat);
      else if (p === 'version' && e.v) ent.version = e.v;
      else if (p === 'custom' && e.m && Object.keys(e.m).length > 0) ent['custom-md'] = customToString(e.m);
      else if (p === 'location' && e.t) ent.location = e.t;
      else if (p === 'copies') ent.copies = 1;
    }
  }
  let flags = e.f ?? 0;
  if (!isDir && (props.includes('cached') || props.includes('status'))) flags |= EntryFlag.isCached;
  if (flags !== 0) ent.flags = flags;
  return ent;
}

export function listResponse(res: ListResult, accept: string | undefined): HttpResponse {
  const ents = res.entries.map((e) => toEnt(e, res.props, res.timeFormat));
  if (accept?.includes('application/msgpack')) {
    // cmn/objlist_gen.go: LsoRes keys are Go field names, entries use the short msgp tags.
    const Entries = ents.map((e) => {
      const m: Record<string, string | number> = { n: e.name };
      if (e.checksum) m.cs = e.checksum;
      if (e.atime) m.a = e.atime;
      if (e.version) m.v = e.version;
      if (e.location) m.t = e.location;
      if (e['custom-md']) m.m = e['custom-md'];
      if (e.size !== undefined) m.s = Number(e.size);
      if (e.copies) m.c = e.copies;
      if (e.flags) m.f = e.flags;
      return m;
    });
    const body = pack({ UUID: res.uuid, ContinuationToken: res.token, Entries, Flags: 0 });
    return { status: 200, headers: { 'content-type': 'application/msgpack' }, body };
  }
  const out: LsoRes = { uuid: res.uuid, continuation_token: res.token, entries: ents, flags: 0 };
  return jsonResponse(200, out);
}
