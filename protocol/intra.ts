// Intra-cluster control messages (msgpack over the intra-control WebSocket streams).
import type { Smap, Snode } from './smap.ts';
import type { BMD } from './bmd.ts';
import type { ClusterConfig } from './config.ts';
import type { Rmd } from './reb.ts';

export const Msg = {
  metasync: 'metasync',
  keepalive: 'keepalive',
  txnBegin: 'txn.begin',
  txnCommit: 'txn.commit',
  txnAbort: 'txn.abort',
  lsoPage: 'lso.page',
} as const;

export interface MetasyncBody {
  smap?: Smap;
  bmd?: BMD;
  config?: ClusterConfig;
  rmd?: Rmd;
}

export interface MetaVersions {
  smap: number;
  bmd: number;
  config: number;
  rmd: number;
}

export interface KeepaliveBody {
  primary: string;
  smap_version: number;
}

/** Self-join (`POST /v1/cluster/autoreg`): the node's Snode and what metadata it already has. */
export interface JoinRequest {
  snode: Snode;
  bmd?: BMD;
  /** A target that restarted in the middle of a rebalance asks for a new one (AIS reb_interrupted). */
  reb_interrupted?: boolean;
  /** The RMD version the joiner has (one behind the cluster missed a rebalance). */
  rmd_version?: number;
}
export interface JoinResponse {
  smap: Smap;
  bmd: BMD;
  config: ClusterConfig;
  rmd?: Rmd;
}

export interface BckRefWire {
  provider: string;
  name: string;
}

export type TxnAction = 'create-bck' | 'destroy-bck';
export interface TxnBeginBody {
  uuid: string;
  action: TxnAction;
  bck: BckRefWire;
}
export interface TxnEndBody {
  uuid: string;
}

export interface LsoPageRequest {
  bck: BckRefWire;
  prefix: string;
  /** Exclusive. */
  start_after: string;
  limit: number;
  /** Which fields to fill: names only when empty. */
  props: string[];
  /** Non-recursive: fold names below the next '/' into virtual directories. */
  nr: boolean;
}

/** Raw entry; the proxy formats per the LsoMsg (time format, JSON vs msgpack). */
export interface LsoPageEntry {
  n: string;
  s?: number;
  cs?: string;
  /** atime, unix ns as a decimal string. */
  a?: string;
  v?: string;
  m?: Record<string, string>;
  t?: string;
  f?: number;
  /** Props `last-modified` (mtime, unix ms) and `etag` (S3 ETag, unquoted): the S3 listing's fields. */
  lm?: number;
  e?: string;
}
export interface LsoPageResponse {
  entries: LsoPageEntry[];
  /** The target may have more names after the last entry. */
  more: boolean;
}

// ---- xactions (issue 3) ----------------------------------------------------------------------

export const XactMsg = {
  start: 'xact.start',
  abort: 'xact.abort',
  query: 'xact.query',
  /** Target → the proxy that started the job: it reached a final state (AIS IC notification). */
  done: 'xact.done',
} as const;

export interface XactStartBody {
  id: string;
  kind: string;
  bck?: BckRefWire;
  /** Kind-specific message (ListRange/EvdMsg, BsummCtrlMsg). */
  value?: unknown;
}
export interface XactAbortBody {
  id?: string;
  kind?: string;
  reason: string;
}
export interface XactAbortResponse {
  aborted: string[];
}
export interface XactQueryBody {
  id?: string;
  kind?: string;
  bck?: BckRefWire;
  onlyRunning?: boolean;
}
export interface XactDoneBody {
  id: string;
  node: string;
  /** The job's final Snap (protocol/xact.ts), as JSON. */
  snap: unknown;
}
