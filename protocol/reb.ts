// Global rebalance on the wire (AIS reb/, meta/rmd.go): the primary versions rebalance metadata
// (RMD) and metasyncs it with the Smap that changed; every target runs rebalance `g<version>`.
// Objects move over the copy-bck transfer messages with `keep` (protocol/copy.ts); these are the
// rebalance-only messages: get-from-neighbor and the delete that reaches every copy while rebalance runs.
import type { CksumType } from './apc.ts';
import type { BckRefWire } from './intra.ts';
import type { KeepMeta } from './copy.ts';

/** Rebalance metadata (AIS RMD): one version per cluster-wide rebalance. */
export interface Rmd {
  /** u64 as a string, as the other metadata. */
  version: string;
  /** The Smap version that triggered it (0: started by hand). */
  smap_version: number;
  /** Active targets at trigger time (for display). */
  target_ids: string[];
}

/** AIS rebalance id: `g` + RMD version. */
export function rebId(rmdVersion: number | string): string {
  return `g${rmdVersion}`;
}

/** RMD version of a rebalance id; undefined when `id` is not one. */
export function rebVersionOf(id: string): number | undefined {
  const m = /^g(\d+)$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

export const RebMsg = {
  /** Intra-control: do you hold this object? → GfnHeadReply. */
  gfnHead: 'reb.gfn.head',
  /** Intra-data: a byte range of the object you hold → GfnGetReply. */
  gfnGet: 'reb.gfn.get',
  /** Intra-control: drop your copy if it is not newer than `mtimeMs` (a DELETE during rebalance). */
  del: 'reb.del',
  /** Intra-control, to a node: shut down (after maintenance/decommission), optionally wiping data. */
  shutdown: 'node.shutdown',
} as const;

export interface GfnReq {
  bck: BckRefWire;
  name: string;
}

export interface GfnMeta extends KeepMeta {
  size: number;
  cksumType: CksumType;
  cksumValue: string;
  customMd: Record<string, string>;
}

export interface GfnHeadReply {
  meta?: GfnMeta;
}

export interface GfnGetReq extends GfnReq {
  off: number;
  len: number;
  /** The mtime the reader expects: a copy that changed meanwhile fails the read. */
  mtimeMs: number;
}

export interface GfnGetReply {
  data: Uint8Array;
}

export interface RebDelReq extends GfnReq {
  mtimeMs: number;
}

export interface RebDelReply {
  deleted: boolean;
}

export interface NodeShutdownReq {
  /** Decommissioned: forget the cluster (metadata), stay out of it. */
  decommission: boolean;
  /** Decommission only: remove every object too. */
  rmUserData: boolean;
  /** Stay up (standby) instead of exiting. */
  noShutdown: boolean;
}
