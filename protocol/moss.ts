// GetBatch (AIS `x-moss`, api/apc/ml.go) on the wire: the client's MossReq and the MossResp
// metadata, their JSON keys exactly as AIS; ajv validation of the body; the per-item range rules; the
// names of entries in the output archive; the intra-cluster messages between proxy, designated
// target (DT) and senders.
import { Ajv } from 'ajv';
import { ErrInvalidArgument, ErrRangeNotSatisfiable } from './errors.ts';
import type { BckRefWire } from './intra.ts';

/** AIS apc.MossMissingDir: missing items (with `coer`) are zero-size entries under it. */
export const MOSS_MISSING_DIR = '__404__';
/** AIS apc.MossMetaPart / MossDataPart: the two parts of a multipart (`strm: false`) answer. */
export const MOSS_META_PART = 'metadata';
export const MOSS_DATA_PART = 'archive';
/** AIS ColocTwo is the highest colocation level. */
export const MOSS_COLOC_MAX = 2;
/** Items in one request (a bound, so that a body cannot make the DT plan millions of entries). */
export const MOSS_ITEMS_MAX = 1_000_000;
/** Job ids of get-batch work items start with this (AIS `gbt-`). */
export const MOSS_XID_PREFIX = 'gbt-';

export interface MossIn {
  objname: string;
  bucket?: string;
  provider?: string;
  uname?: string;
  archpath?: string;
  /** Go `[]byte`: base64 in JSON, echoed back as given. */
  opaque?: string;
  start?: number;
  length?: number;
}

export interface MossReq {
  mime?: string;
  in: MossIn[];
  coer?: boolean;
  onob?: boolean;
  strm?: boolean;
  coloc?: number;
}

export interface MossOut {
  objname: string;
  archpath?: string;
  bucket: string;
  provider: string;
  err_msg?: string;
  opaque?: string;
  size: number;
}

export interface MossResp {
  uuid: string;
  out: MossOut[];
}

/** One item after validation: its bucket resolved (URL bucket, `bucket`/`provider`, or `uname`). */
export interface MossItem {
  bck: BckRefWire;
  objname: string;
  archpath: string;
  opaque?: string;
  start: number;
  length: number;
}

/** A validated request: what the proxy hands to the DT and the senders. */
export interface MossPlan {
  mime: string;
  coer: boolean;
  onob: boolean;
  strm: boolean;
  coloc: number;
  items: MossItem[];
}

const validateReq = new Ajv({ allErrors: false }).compile<MossReq>({
  type: 'object',
  required: ['in'],
  properties: {
    mime: { type: 'string' },
    in: {
      type: 'array',
      maxItems: MOSS_ITEMS_MAX,
      items: {
        type: 'object',
        required: ['objname'],
        properties: {
          objname: { type: 'string' },
          bucket: { type: 'string' },
          provider: { type: 'string' },
          uname: { type: 'string' },
          archpath: { type: 'string' },
          opaque: { type: 'string' },
          start: { type: 'integer' },
          length: { type: 'integer' },
        },
      },
    },
    coer: { type: 'boolean' },
    onob: { type: 'boolean' },
    strm: { type: 'boolean' },
    coloc: { type: 'integer' },
  },
});

/** Parses the raw body (JSON) of `GET /v1/ml/moss`. */
export function parseMossReqJson(raw: string): MossReq {
  let v: unknown;
  try {
    v = JSON.parse(raw) as unknown;
  } catch (e) {
    throw new ErrInvalidArgument(`x-moss: failed to parse request body as JSON: ${(e as Error).message}`);
  }
  if (!validateReq(v)) {
    const why = (validateReq.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
    throw new ErrInvalidArgument(`x-moss: invalid request: ${why}`);
  }
  return v;
}

/**
 * AIS MossIn.UnmarshalJSON: a negative start, a length below -1, or a non-zero start with length 0
 * is refused (use -1 to read to the end). AIS reports it as an unsatisfiable range at parse time,
 * before any object is looked at — a bad request, hence 400 here.
 */
export function checkRangeForm(start: number, length: number, objname: string): void {
  if (start < 0 || length < -1 || (start !== 0 && length === 0)) {
    const s = length === -1 ? `start=${start}` : `start=${start},length=${length}`;
    throw new ErrInvalidArgument(`x-moss: invalid range ${s} (oname: "${objname}"): length 0 with a non-zero start is not allowed (use -1 to read to the end)`);
  }
}

/** AIS MossIn.CheckRange: the [offset, length) to read from an item of `size` bytes; 416 when out of bounds. */
export function checkRange(start: number, length: number, size: number): { off: number; len: number } {
  if (start === 0 && length === 0) return { off: 0, len: size };
  if (length === -1) {
    if (start < 0 || start >= size) throw new ErrRangeNotSatisfiable(`size=${size}: not satisfiable range [start=${start}]`, size);
    return { off: start, len: size - start };
  }
  if (start < 0 || length <= 0 || start >= size || length > size - start) {
    throw new ErrRangeNotSatisfiable(`size=${size}: not satisfiable range [start=${start},length=${length}]`, size);
  }
  return { off: start, len: length };
}

/** `ais://name` or `provider://name` (AIS uname of a bucket, without namespace). */
function bckFromUname(uname: string, objname: string): BckRefWire {
  const m = /^([a-z0-9]+):\/\/([^/]+)\/?/.exec(uname);
  if (!m) throw new ErrInvalidArgument(`x-moss: invalid uname "${uname}" (oname: "${objname}"): expecting <provider>://<bucket>`);
  return { provider: m[1]!, name: m[2]! };
}

/**
 * Resolves each item's bucket and checks its range form. `dflt` is the URL bucket; `provider` maps
 * AIS provider aliases (`ais`, `s3`, `aws`, ...) to the canonical name and refuses unknown ones.
 */
export function planOf(req: MossReq, dflt: BckRefWire | undefined, provider: (p: string) => string, validateName: (bck: string, obj: string) => void): MossPlan {
  if (req.in.length === 0) throw new ErrInvalidArgument('x-moss: empty request: "in" must name at least one object');
  const coloc = req.coloc ?? 0;
  if (coloc < 0 || coloc > MOSS_COLOC_MAX) throw new ErrInvalidArgument(`x-moss: invalid coloc=${coloc} (expecting 0, 1, or 2)`);
  const items = req.in.map((x): MossItem => {
    let bck: BckRefWire;
    if (x.uname) bck = bckFromUname(x.uname, x.objname);
    else if (x.bucket) bck = { provider: provider(x.provider ?? ''), name: x.bucket };
    else if (dflt) bck = dflt;
    else throw new ErrInvalidArgument(`x-moss: missing bucket for "${x.objname}" (name it in the item or in the URL path)`);
    validateName(bck.name, x.objname);
    const start = x.start ?? 0;
    const length = x.length ?? 0;
    checkRangeForm(start, length, x.objname);
    const item: MossItem = { bck, objname: x.objname, archpath: x.archpath ?? '', start, length };
    if (x.opaque !== undefined) item.opaque = x.opaque;
    return item;
  });
  return { mime: req.mime ?? '', coer: req.coer ?? false, onob: req.onob ?? false, strm: req.strm ?? false, coloc, items };
}

/** AIS NameInRespArch: `<bucket>/<obj>[/<archpath>]`, or `<obj>[/<archpath>]` with `onob`. */
export function nameInArch(it: MossItem, onob: boolean): string {
  const base = onob ? it.objname : `${it.bck.name}/${it.objname}`;
  return it.archpath === '' ? base : `${base}/${it.archpath}`;
}

/** The zero-size entry of a missing item (with `coer`). */
export function missingName(it: MossItem, onob: boolean): string {
  return `${MOSS_MISSING_DIR}/${nameInArch(it, onob)}`;
}

export function mossOut(it: MossItem, size: number, errMsg?: string): MossOut {
  const out: MossOut = { objname: it.objname, bucket: it.bck.name, provider: it.bck.provider, size };
  if (it.archpath !== '') out.archpath = it.archpath;
  if (errMsg !== undefined) out.err_msg = errMsg;
  if (it.opaque !== undefined) out.opaque = it.opaque;
  return out;
}

// ---- cluster config `get_batch` ---------------------------------------------------------------

/** AIS GetBatchConf (cmn/config.go), plus two Shoal knobs for the DT's admission (429). */
export interface GetBatchConf {
  /** Senders and clients that do not show up within this are given up on (AIS default 20s, [1s, 1m]). */
  max_wait: string;
  /** Items recovered (get-from-neighbor) or missing per request before it fails (AIS default 8). */
  max_soft_errs: number;
  /** -1 off (AIS code default), 0 default, 1..10. */
  warmup_workers: number;
  /** Shoal: bytes the DT may hold for all its work items (each reserves its worst case); over it 429. */
  buffer_budget: number;
  /** Shoal: work items a DT runs at once; one more is answered 429. */
  max_work_items: number;
}

/**
 * Default concurrent work items per DT. Each holds up to 4 unacknowledged messages per sender on the
 * sender→DT intra-data connection (256 in flight at most, shared with rebalance and copies): 48 × 4
 * leaves room for the others.
 */
export const GET_BATCH_WORK_ITEMS_DEFAULT = 48;
export const GET_BATCH_MAX_WAIT_MS_MIN = 1_000;
export const GET_BATCH_MAX_WAIT_MS_MAX = 60_000;

export function defaultGetBatchConf(): GetBatchConf {
  return { max_wait: '20s', max_soft_errs: 8, warmup_workers: -1, buffer_budget: 1024 * 1024 * 1024, max_work_items: GET_BATCH_WORK_ITEMS_DEFAULT };
}

/** `20s`, `1500ms`, `1m` → milliseconds (the AIS duration forms this config uses). */
export function durationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s.trim());
  if (!m) throw new ErrInvalidArgument(`invalid duration "${s}" (expecting e.g. 500ms, 20s, 1m)`);
  const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unitMs);
}

/** Applies `get_batch.<key>=<value>` (set-config); throws on an unknown key or a bad value. */
export function setGetBatchConf(cur: GetBatchConf, key: string, value: string): GetBatchConf {
  const next = { ...cur };
  const int = (lo: number, hi: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new ErrInvalidArgument(`get_batch.${key}: expecting an integer in [${lo}, ${hi}], got "${value}"`);
    return n;
  };
  switch (key) {
    case 'max_wait': {
      const ms = durationMs(value);
      if (ms < GET_BATCH_MAX_WAIT_MS_MIN || ms > GET_BATCH_MAX_WAIT_MS_MAX) throw new ErrInvalidArgument(`get_batch.max_wait: ${value} is out of range [1s, 1m]`);
      next.max_wait = value;
      break;
    }
    case 'max_soft_errs':
      next.max_soft_errs = int(0, 1_000_000);
      break;
    case 'warmup_workers':
      next.warmup_workers = int(-1, 10);
      break;
    case 'buffer_budget':
      next.buffer_budget = int(0, Number.MAX_SAFE_INTEGER);
      break;
    case 'max_work_items':
      next.max_work_items = int(0, 1_000_000);
      break;
    default:
      throw new ErrInvalidArgument(`set-config: "get_batch.${key}" is not a get_batch knob (max_wait, max_soft_errs, warmup_workers, buffer_budget, max_work_items)`);
  }
  return next;
}

// ---- intra-cluster messages ---------------------------------------------------------------------

export const MossMsg = {
  /** proxy → DT (intra-control): register the work item; the DT answers its job id. */
  begin: 'moss.begin',
  /** proxy → sender (intra-control): stream these items of the work item to the DT. */
  send: 'moss.send',
  /** sender → DT (intra-data): item bytes; acknowledged once the DT has consumed them (credit). */
  data: 'moss.data',
} as const;

export interface MossBeginBody {
  wid: string;
  plan: MossPlan;
  /** Per item (request order): the id of the target that owns it by the proxy's Smap. */
  owners: string[];
  smapVer: number;
}
export interface MossBeginReply {
  xid: string;
}

export interface MossSendBody {
  xid: string;
  wid: string;
  /** The designated target's id. */
  dt: string;
  /** Indices (ascending) of the items this sender owns. */
  indices: number[];
  /** Those items (same order): a sender needs only its own. */
  items: MossItem[];
  /** The request's coloc (2: the sender caches hot shards too); absent means 0. */
  coloc?: number;
}

/** Part of one item from a sender: `off` within the item, `end` marks its last piece. */
export interface MossPiece {
  i: number;
  off: number;
  /** The item's total size (of the range, when ranged). */
  size: number;
  end: boolean;
  /** The object's mtime (the archive entry's). */
  mtimeMs: number;
  data: Uint8Array;
  /** The sender could not read the item: its error (the DT decides: neighbour, __404__ or fail). */
  err?: { tcode: string; message: string; status: number };
}

export interface MossDataBody {
  wid: string;
  pieces: MossPiece[];
  /** Set on the sender's last message of this work item. */
  fin?: boolean;
}

// ---- wire forms of the intra-cluster messages ---------------------------------------------------
// A 1,000-item plan as msgpack maps repeats every key and bucket per item; tuples and a bucket table
// cut its bytes and the proxy's, DT's and senders' (un)packing time by more than half (measured,
// docs/performance.md). The in-memory types above stay the ones the code works with.

/** [bucket index, objname, archpath, start, length, opaque?] */
type ItemTuple = [number, string, string, number, number, string?];

export interface MossItemsWire {
  b: BckRefWire[];
  i: ItemTuple[];
}

/** [i, off, size, end (1/0), mtimeMs, data, err?] */
type PieceTuple = [number, number, number, number, number, Uint8Array, MossPiece['err']?];

export interface MossBeginWire {
  wid: string;
  plan: Omit<MossPlan, 'items'> & { items: MossItemsWire };
  /** Owner per item as an index into `ids`. */
  owners: { ids: string[]; of: number[] };
  smapVer: number;
}

export interface MossSendWire {
  xid: string;
  wid: string;
  dt: string;
  indices: number[];
  items: MossItemsWire;
  coloc?: number;
}

export interface MossDataWire {
  wid: string;
  p: PieceTuple[];
  fin?: boolean;
}

function bad(what: string): never {
  throw new ErrInvalidArgument(`x-moss: malformed ${what} message`);
}

export function itemsToWire(items: readonly MossItem[]): MossItemsWire {
  const b: BckRefWire[] = [];
  const idx = new Map<string, number>();
  const i = items.map((it): ItemTuple => {
    const key = `${it.bck.provider}\u0000${it.bck.name}`;
    let k = idx.get(key);
    if (k === undefined) {
      idx.set(key, (k = b.length));
      b.push({ provider: it.bck.provider, name: it.bck.name });
    }
    const t: ItemTuple = [k, it.objname, it.archpath, it.start, it.length];
    if (it.opaque !== undefined) t.push(it.opaque);
    return t;
  });
  return { b, i };
}

export function itemsFromWire(w: unknown): MossItem[] {
  const x = w as Partial<MossItemsWire> | undefined;
  if (!x || !Array.isArray(x.b) || !Array.isArray(x.i)) bad('item list');
  const bcks = x.b;
  return x.i.map((t): MossItem => {
    if (!Array.isArray(t) || t.length < 5) bad('item');
    const bck = bcks[t[0]];
    if (bck === undefined || typeof t[1] !== 'string' || typeof t[2] !== 'string' || typeof t[3] !== 'number' || typeof t[4] !== 'number') bad('item');
    const it: MossItem = { bck, objname: t[1], archpath: t[2], start: t[3], length: t[4] };
    if (typeof t[5] === 'string') it.opaque = t[5];
    return it;
  });
}

export function beginToWire(b: MossBeginBody): MossBeginWire {
  const ids: string[] = [];
  const idx = new Map<string, number>();
  const of = b.owners.map((o) => {
    let k = idx.get(o);
    if (k === undefined) {
      idx.set(o, (k = ids.length));
      ids.push(o);
    }
    return k;
  });
  const { items, ...rest } = b.plan;
  return { wid: b.wid, plan: { ...rest, items: itemsToWire(items) }, owners: { ids, of }, smapVer: b.smapVer };
}

export function beginFromWire(w: unknown): MossBeginBody {
  const x = w as Partial<MossBeginWire> | undefined;
  if (!x || typeof x.wid !== 'string' || !x.plan || !x.owners || !Array.isArray(x.owners.ids) || !Array.isArray(x.owners.of)) bad('begin');
  const { ids, of } = x.owners;
  const items = itemsFromWire(x.plan.items);
  if (of.length !== items.length) bad('begin');
  const owners = of.map((k) => ids[k] ?? bad('begin'));
  return { wid: x.wid, plan: { ...x.plan, items }, owners, smapVer: Number(x.smapVer) };
}

export function sendToWire(b: MossSendBody): MossSendWire {
  const w: MossSendWire = { xid: b.xid, wid: b.wid, dt: b.dt, indices: b.indices, items: itemsToWire(b.items) };
  if (b.coloc) w.coloc = b.coloc;
  return w;
}

export function sendFromWire(w: unknown): MossSendBody {
  const x = w as Partial<MossSendWire> | undefined;
  if (!x || typeof x.xid !== 'string' || typeof x.wid !== 'string' || typeof x.dt !== 'string' || !Array.isArray(x.indices)) bad('send');
  const items = itemsFromWire(x.items);
  if (items.length !== x.indices.length) bad('send');
  const b: MossSendBody = { xid: x.xid, wid: x.wid, dt: x.dt, indices: x.indices, items };
  if (typeof x.coloc === 'number') b.coloc = x.coloc;
  return b;
}

export function dataToWire(b: MossDataBody): MossDataWire {
  const p = b.pieces.map((q): PieceTuple => {
    const t: PieceTuple = [q.i, q.off, q.size, q.end ? 1 : 0, q.mtimeMs, q.data];
    if (q.err) t.push(q.err);
    return t;
  });
  const w: MossDataWire = { wid: b.wid, p };
  if (b.fin) w.fin = true;
  return w;
}

export function dataFromWire(w: unknown): MossDataBody {
  const x = w as Partial<MossDataWire> | undefined;
  if (!x || typeof x.wid !== 'string' || !Array.isArray(x.p)) bad('data');
  const pieces = x.p.map((t): MossPiece => {
    if (!Array.isArray(t) || t.length < 6 || !(t[5] instanceof Uint8Array)) bad('data');
    const q: MossPiece = { i: t[0], off: t[1], size: t[2], end: t[3] === 1, mtimeMs: t[4], data: t[5] };
    if (t[6]) q.err = t[6];
    return q;
  });
  const b: MossDataBody = { wid: x.wid, pieces };
  if (x.fin) b.fin = true;
  return b;
}
