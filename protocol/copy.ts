// copy-bck on the wire: the TCBMsg of `POST /v1/buckets/<src>?bck_to=<uname>` (AIS apc.TCBMsg, the
// fields Shoal implements), the destination uname, and the target-to-target messages of the
// intra-data stream (small objects batched per message, numbered chunks for big ones).
import type { CksumType } from './apc.ts';
import { ErrInvalidArgument } from './errors.ts';
import type { BckRefWire } from './intra.ts';
import { NS_GLOBAL_UNAME } from './bmd.ts';
import { validateBckName } from './names.ts';

export const CopyMsg = {
  /** One object, or one chunk of a big object (request; the reply acknowledges it). */
  obj: 'copy.obj',
  /** Several small objects for one receiver (request; the reply names the ones that failed). */
  objs: 'copy.objs',
  /** The sender gave up on a chunked object: the receiver drops its partial work file. */
  abort: 'copy.abort',
  /** The sender's walk is over and every object it sent was acknowledged (notification). */
  done: 'copy.done',
} as const;

export interface TcbMsg {
  prefix: string;
  prepend: string;
  dryRun: boolean;
  force: boolean;
  numWorkers: number;
}

/** The job's value in `xact.start`. */
export interface CopyJobValue extends TcbMsg {
  bckTo: BckRefWire;
  /** Destination puts use these (the destination bucket's props at start). */
  dstCksumType: CksumType;
  dstVersioning: boolean;
}

/**
 * Rebalance (and get-from-neighbor) moves keep the object's identity: its version, mtime and atime
 * travel with it, and the receiver stores it only if it has nothing newer (mtime tie-break) and no
 * newer delete of the name. Copies (copy-bck) carry no `keep`: they are new writes.
 */
export interface KeepMeta {
  version: string;
  mtimeMs: number;
  atimeNs: string;
}

export interface CopyObjBody {
  xid: string;
  /** The sender's Smap version: a receiver that is behind waits for it before judging ownership. */
  smapVer?: number;
  /** Per-sender session id of a chunked object ('' for a single message). */
  sid: string;
  bck: BckRefWire;
  name: string;
  /** Offset of `data` in the object; 0 opens a session. */
  off: number;
  size: number;
  last: boolean;
  /** The source's checksum (verified by the receiver when the destination uses the same type). */
  cksumType: CksumType;
  cksumValue: string;
  dstCksumType: CksumType;
  versioning: boolean;
  customMd: Record<string, string>;
  keep?: KeepMeta;
  data: Uint8Array;
}

/** One whole small object of a `copy.objs` batch. */
export interface CopyBatchObj {
  name: string;
  size: number;
  /** The source's checksum (verified by the receiver when the destination uses the same type). */
  cksumType: CksumType;
  cksumValue: string;
  customMd: Record<string, string>;
  keep?: KeepMeta;
  data: Uint8Array;
}

export interface CopyBatchBody {
  xid: string;
  /** The sender's Smap version (see CopyObjBody). */
  smapVer?: number;
  bck: BckRefWire;
  dstCksumType: CksumType;
  versioning: boolean;
  objs: CopyBatchObj[];
}

/** The reply to `copy.objs`: every object not named here was stored. */
export interface CopyBatchReply {
  failed: { name: string; err: string }[];
}

export interface CopyAbortBody {
  sid: string;
}

export interface CopyDoneBody {
  xid: string;
}

function field(r: Record<string, unknown>, keys: string[]): unknown {
  for (const [k, v] of Object.entries(r)) if (keys.includes(k.toLowerCase())) return v;
  return undefined;
}

/** TCBMsg with keys matched case-insensitively (Go's JSON); unknown fields are ignored. */
export function parseTcbMsg(v: unknown): TcbMsg {
  if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new ErrInvalidArgument('copy-bck: value must be a JSON object');
  const r = (v ?? {}) as Record<string, unknown>;
  const s = (keys: string[]): string => {
    const x = field(r, keys);
    if (x === undefined || x === null) return '';
    if (typeof x !== 'string') throw new ErrInvalidArgument(`copy-bck: "${keys[0]}" must be a string`);
    return x;
  };
  const b = (keys: string[]): boolean => {
    const x = field(r, keys);
    if (x === undefined || x === null) return false;
    if (typeof x !== 'boolean') throw new ErrInvalidArgument(`copy-bck: "${keys[0]}" must be a boolean`);
    return x;
  };
  const n = field(r, ['num-workers', 'num_workers']);
  if (n !== undefined && n !== null && (typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
    throw new ErrInvalidArgument('copy-bck: "num-workers" must be a non-negative integer');
  }
  return { prefix: s(['prefix']), prepend: s(['prepend']), dryRun: b(['dry_run', 'dry-run']), force: b(['force']), numWorkers: (n as number | undefined) ?? 0 };
}

/** `ais/@#/dst/` (AIS bucket uname; also `ais/@#/dst` and `ais://dst`) → bucket; 400 if invalid. */
export function parseBckTo(raw: string | null | undefined): BckRefWire {
  if (!raw) throw new ErrInvalidArgument('copy-bck: missing "bck_to" (destination bucket uname)');
  let provider: string;
  let name: string;
  const scheme = /^([a-z0-9]+):\/\/([^/]+)\/?$/.exec(raw);
  if (scheme) {
    provider = scheme[1]!;
    name = scheme[2]!;
  } else {
    const parts = raw.replace(/\/$/, '').split('/');
    if (parts.length !== 3 || parts[1] !== NS_GLOBAL_UNAME || !/^[a-z0-9]+$/.test(parts[0]!)) {
      throw new ErrInvalidArgument(`copy-bck: invalid destination bucket "${raw}" (expected e.g. ais/${NS_GLOBAL_UNAME}/<name>)`);
    }
    provider = parts[0]!;
    name = parts[2]!;
  }
  if (provider !== 'ais') throw new ErrInvalidArgument(`copy-bck: destination ${provider}://${name}: only ais buckets are supported`);
  try {
    validateBckName(name);
  } catch (e) {
    throw new ErrInvalidArgument(`copy-bck: invalid destination bucket "${raw}": ${(e as Error).message}`);
  }
  return { provider, name };
}
