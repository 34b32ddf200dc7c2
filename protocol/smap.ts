// Cluster map (meta/smap.go) in its AIS JSON shape.

export const DaemonType = { proxy: 'proxy', target: 'target' } as const;
export type DaemonType = (typeof DaemonType)[keyof typeof DaemonType];

export const SnodeFlag = { nonElectable: 1, ic: 2, maint: 4, decomm: 8, maintPostReb: 16 } as const;

export interface NetInfo {
  node_ip_addr: string;
  daemon_port: string;
  direct_url: string;
}

export interface Snode {
  daemon_id: string;
  daemon_type: DaemonType;
  public_net: NetInfo;
  intra_control_net: NetInfo;
  intra_data_net: NetInfo;
  flags: number;
  /** u64 digest of the id for HRW, as a decimal string (JSON has no u64). */
  id_digest: string;
}

export interface Smap {
  pmap: Record<string, Snode>;
  tmap: Record<string, Snode>;
  proxy_si: Snode;
  uuid: string;
  creation_time: string;
  /** u64 as a string, as AIS. */
  version: string;
}

export function smapVersion(smap: Smap): number {
  return Number(smap.version);
}

/**
 * Targets that take part in a rebalance: every target but those in maintenance whose data a
 * rebalance already moved away (MaintPostReb; they may be shut down and must not be waited for).
 */
export function rebTargets(smap: Smap): Snode[] {
  return Object.values(smap.tmap).filter((t) => (t.flags & SnodeFlag.maintPostReb) === 0);
}

/** Targets eligible for HRW placement: not in maintenance, not being decommissioned. */
export function activeTargets(smap: Smap): Snode[] {
  return Object.values(smap.tmap).filter((t) => (t.flags & (SnodeFlag.maint | SnodeFlag.decomm)) === 0);
}

/** Active target ids, sorted and joined: equal strings mean the same HRW owners. */
export function activeTargetIds(smap: Smap): string {
  return activeTargets(smap)
    .map((t) => t.daemon_id)
    .sort()
    .join(',');
}
