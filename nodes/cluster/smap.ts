// Pure Smap operations used by the primary (clone, add, remove, bump) and by every node (lookups).
import type { Smap, Snode, DaemonType } from '../../protocol/smap.ts';
import { activeTargets } from '../../protocol/smap.ts';

export function snodeOf(opts: { id: string; type: DaemonType; host: string; port: number; portControl: number; portData: number; digest: bigint }): Snode {
  const net = (port: number) => ({ node_ip_addr: opts.host, daemon_port: String(port), direct_url: `http://${opts.host}:${port}` });
  return {
    daemon_id: opts.id,
    daemon_type: opts.type,
    public_net: net(opts.port),
    intra_control_net: net(opts.portControl),
    intra_data_net: net(opts.portData),
    flags: 0,
    id_digest: String(opts.digest),
  };
}

export function newSmap(primary: Snode, uuid: string, creationTime: string, version: number): Smap {
  return { pmap: { [primary.daemon_id]: primary }, tmap: {}, proxy_si: primary, uuid, creation_time: creationTime, version: String(version) };
}

function clone(smap: Smap): Smap {
  return { ...smap, pmap: { ...smap.pmap }, tmap: { ...smap.tmap }, version: String(Number(smap.version) + 1) };
}

/** A new version with `node` added or replaced (a node re-joining with a new address). */
export function smapWithNode(smap: Smap, node: Snode): Smap {
  const next = clone(smap);
  if (node.daemon_type === 'proxy') next.pmap[node.daemon_id] = node;
  else next.tmap[node.daemon_id] = node;
  return next;
}

export function smapWithoutNode(smap: Smap, id: string): Smap {
  const next = clone(smap);
  delete next.pmap[id];
  delete next.tmap[id];
  return next;
}

export function smapNode(smap: Smap, id: string): Snode | undefined {
  return smap.pmap[id] ?? smap.tmap[id];
}

export function smapNodes(smap: Smap): Snode[] {
  return [...Object.values(smap.pmap), ...Object.values(smap.tmap)];
}

/** Same node at the same addresses (a re-join that changes nothing needs no new Smap version). */
export function sameSnode(a: Snode, b: Snode): boolean {
  return (
    a.daemon_type === b.daemon_type &&
    a.public_net.direct_url === b.public_net.direct_url &&
    a.intra_control_net.direct_url === b.intra_control_net.direct_url &&
    a.intra_data_net.direct_url === b.intra_data_net.direct_url &&
    a.flags === b.flags
  );
}

/** HRW candidates: active targets with their digests parsed once per Smap version. */
export interface TargetCandidate {
  readonly node: Snode;
  readonly digest: bigint;
}

export function targetCandidates(smap: Smap): TargetCandidate[] {
  return activeTargets(smap).map((node) => ({ node, digest: BigInt(node.id_digest) }));
}
