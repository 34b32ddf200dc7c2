// Xactions (batch jobs) on the wire, as AIS: the static kinds table (xact/api_table.go), ArgsMsg with
// keys matched case-insensitively (Go's encoding/json does that), QueryMsg, Snap and the IC status.
import { ErrInvalidArgument } from './errors.ts';
import type { BckRefWire } from './intra.ts';

export type JobScope = 'cluster' | 'bucket' | 'global-bucket';

export interface JobDescriptor {
  scope: JobScope;
  /** Startable by the generic `PUT /v1/cluster {"action":"start"}` (AIS `Startable`). */
  startable: boolean;
  /** AIS `DisplayName`: accepted as a kind on input, shown by `ais show job`. */
  displayName: string;
  /** Targets report completion to the proxy that started the job (AIS IC notifications). */
  ic: boolean;
  /** Exists for tests only: refused unless the proxy's config sets `test_jobs`. */
  testOnly?: boolean;
}

export const JOB_KINDS = ['summary-bck', 'delete-listrange', 'evict-listrange', 'copy-bck', 'cleanup-store', 'rebalance', 'resilver', 'get-batch', 'test-fail', 'test-sleep'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_TABLE = {
  'summary-bck': { scope: 'global-bucket', startable: false, displayName: 'summary', ic: true },
  'delete-listrange': { scope: 'bucket', startable: false, displayName: 'delete-objects', ic: true },
  'evict-listrange': { scope: 'bucket', startable: false, displayName: 'evict-objects', ic: true },
  'copy-bck': { scope: 'bucket', startable: false, displayName: 'copy-bucket', ic: true },
  'cleanup-store': { scope: 'global-bucket', startable: true, displayName: 'cleanup', ic: true },
  // Cluster-wide, id `g<RMD version>`; started by the primary on an Smap change or by hand.
  rebalance: { scope: 'cluster', startable: true, displayName: 'rebalance', ic: true },
  // One target only: starting it without a target id is refused (501), as AIS since 4.2.
  resilver: { scope: 'cluster', startable: true, displayName: 'resilver', ic: true },
  // One per work item on its designated target, id `gbt-<...>` (AIS x-moss); not started by hand.
  'get-batch': { scope: 'cluster', startable: false, displayName: 'get-batch', ic: false },
  // Not an AIS kind: a job whose work throws, proving a failing job is reported, never fatal.
  'test-fail': { scope: 'cluster', startable: true, displayName: 'test-fail', ic: true, testOnly: true },
  // Not an AIS kind: runs until stopped (bounded), for stop and wait-timeout tests.
  'test-sleep': { scope: 'cluster', startable: true, displayName: 'test-sleep', ic: true, testOnly: true },
} as const satisfies Record<JobKind, JobDescriptor>;

/** Kind or AIS display name → kind; undefined if unknown. */
export function jobKindOf(s: string): JobKind | undefined {
  for (const k of JOB_KINDS) if (k === s || JOB_TABLE[k].displayName === s) return k;
  return undefined;
}

/** AIS cos.GenUUID alphabet and length (LenShortID). */
export const XID_ALPHABET = '-5nZJDft6LuzsjGNpPwY7rQa39vehq4i1cV2FROo8yHSlC0BUEdWbIxMmTgKXAk_';
export const XID_LENGTH = 9;

/** A short AIS-style job id from random bytes; starts and ends with a letter or digit, as AIS. */
export function xidFrom(bytes: Uint8Array): string {
  if (bytes.length < XID_LENGTH) throw new ErrInvalidArgument(`xid needs ${XID_LENGTH} random bytes`);
  let s = '';
  for (let i = 0; i < XID_LENGTH; i++) {
    let c = XID_ALPHABET[bytes[i]! & 0x3f]!;
    if ((i === 0 || i === XID_LENGTH - 1) && (c === '-' || c === '_')) c = 'x';
    s += c;
  }
  return s;
}

export interface Counters {
  locObjs: number;
  locBytes: number;
  outObjs: number;
  outBytes: number;
  inObjs: number;
  inBytes: number;
}
export const ZERO_COUNTERS: Counters = Object.freeze({ locObjs: 0, locBytes: 0, outObjs: 0, outBytes: 0, inObjs: 0, inBytes: 0 });

/** AIS core.Snap as JSON: counters are strings (int64 `,string`), times RFC 3339 (zero time when unset). */
export interface Snap {
  id: string;
  kind: string;
  bck: BckRefWire & { namespace: { uuid: string; name: string } };
  'start-time': string;
  'end-time': string;
  'abort-err': string;
  err: string;
  stats: { 'loc-objs': string; 'loc-bytes': string; 'out-objs': string; 'out-bytes': string; 'in-objs': string; 'in-bytes': string };
  aborted: boolean;
  is_idle: boolean;
  /** Shoal: the lifecycle state (pending, running, paused, finishing, finished, aborted). */
  state: string;
}

/** Go's zero time.Time as JSON: what AIS shows for a job that has not ended. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function timeOf(ms: number): string {
  return ms === 0 ? ZERO_TIME : new Date(ms).toISOString();
}

export function statsOf(c: Counters): Snap['stats'] {
  return {
    'loc-objs': String(c.locObjs), 'loc-bytes': String(c.locBytes),
    'out-objs': String(c.outObjs), 'out-bytes': String(c.outBytes),
    'in-objs': String(c.inObjs), 'in-bytes': String(c.inBytes),
  };
}

export function countersOf(s: Snap['stats']): Counters {
  return {
    locObjs: Number(s['loc-objs']), locBytes: Number(s['loc-bytes']),
    outObjs: Number(s['out-objs']), outBytes: Number(s['out-bytes']),
    inObjs: Number(s['in-objs']), inBytes: Number(s['in-bytes']),
  };
}

/** IC status (AIS nl.Status): `end_time` is unix ns, 0 while running. */
export interface XactStatus {
  kind: string;
  uuid: string;
  err: string;
  end_time: number;
  aborted: boolean;
  is_idle: boolean;
}

export interface ArgsMsg {
  id: string;
  kind: string;
  daemonId: string;
  bck?: BckRefWire;
  buckets: BckRefWire[];
  timeoutNs: number;
  force: boolean;
  onlyRunning: boolean;
  flags: number;
}

export interface QueryMsg {
  id: string;
  kind: string;
  bck?: BckRefWire;
  onlyRunning: boolean;
  node: string;
  buckets: BckRefWire[];
}

type Raw = Record<string, unknown>;

/** Lower-cased keys, as Go's case-insensitive JSON field matching. */
function lowerKeys(v: unknown, what: string): Raw {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ErrInvalidArgument(`${what}: expected a JSON object`);
  const out: Raw = {};
  for (const [k, x] of Object.entries(v)) out[k.toLowerCase()] = x;
  return out;
}

function str(r: Raw, key: string, what: string): string {
  const v = r[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ErrInvalidArgument(`${what}: "${key}" must be a string`);
  return v;
}

function bool(r: Raw, key: string, what: string): boolean {
  const v = r[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new ErrInvalidArgument(`${what}: "${key}" must be a boolean`);
  return v;
}

function num(r: Raw, key: string, what: string): number {
  const v = r[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ErrInvalidArgument(`${what}: "${key}" must be a number`);
  return v;
}

function bckOf(v: unknown, what: string): BckRefWire | undefined {
  if (v === undefined || v === null) return undefined;
  const r = lowerKeys(v, what);
  const name = str(r, 'name', what);
  if (name === '') return undefined;
  const provider = str(r, 'provider', what) || 'ais';
  return { provider, name };
}

function bcksOf(v: unknown, what: string): BckRefWire[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ErrInvalidArgument(`${what}: "buckets" must be an array`);
  return v.map((b) => bckOf(b, what)).filter((b): b is BckRefWire => b !== undefined);
}

export function parseArgsMsg(v: unknown): ArgsMsg {
  const what = 'xaction args';
  const r = lowerKeys(v, what);
  return {
    id: str(r, 'id', what),
    kind: str(r, 'kind', what),
    daemonId: str(r, 'daemonid', what),
    bck: bckOf(r.bck, what),
    buckets: bcksOf(r.buckets, what),
    timeoutNs: num(r, 'timeout', what),
    force: bool(r, 'force', what),
    onlyRunning: bool(r, 'onlyrunning', what),
    flags: num(r, 'flags', what),
  };
}

export function parseQueryMsg(v: unknown): QueryMsg {
  const what = 'xaction query';
  const r = lowerKeys(v, what);
  return {
    id: str(r, 'id', what),
    kind: str(r, 'kind', what),
    bck: bckOf(r.bck, what),
    onlyRunning: bool(r, 'show_active', what),
    node: str(r, 'node', what),
    buckets: bcksOf(r.buckets, what),
  };
}
