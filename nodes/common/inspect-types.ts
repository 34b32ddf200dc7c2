// Wire shapes of live inspection: a node's snapshot (actor tree, jobs, recent transitions) and the
// event batches targets push to a subscribed proxy over intra-control, which the proxy relays to
// browsers. JSON- and msgpack-safe (plain objects only).
import type { Published } from '../../runtime/actor/bus.ts';
import type { ChildInfo } from '../../runtime/actor/supervisor.ts';
import type { Snap } from '../../protocol/xact.ts';
import type { MachineGraph } from './inspect-graph.ts';

export const InspectMsg = {
  /** request → NodeInspectSnapshot */
  snap: 'inspect.snap',
  /** request {url}: push events to this intra-control URL for a lease */
  sub: 'inspect.sub',
  /** notify (target → proxy): InspectBatch */
  ev: 'inspect.ev',
} as const;

/** A job as the UI shows it: the registry snapshot plus the actor path and machine it runs. */
export interface InspectJob extends Snap {
  node: string;
  path: string;
  machine: string;
}

export interface NodeInspectSnapshot {
  node: string;
  role: string;
  /** The root supervisor itself, its children() below. */
  tree: ChildInfo;
  jobs: InspectJob[];
  transitions: Published[];
}

export interface ClusterInspectSnapshot {
  primary: string;
  proxies: string[];
  targets: string[];
  /** Node id → Smap flags (only nodes with flags set: maintenance 4, decommission 8). */
  flags: Record<string, number>;
  nodes: NodeInspectSnapshot[];
  /** Nodes that did not answer, with why. */
  errors: Record<string, string>;
  machines: Record<string, MachineGraph>;
}

export interface InspectBatch {
  node: string;
  events: Published[];
  /** Events dropped since the previous batch because the queue was full. */
  dropped: number;
  /** Current jobs of the node when the batch touched a job actor. */
  jobs?: InspectJob[];
}

export interface InspectSubBody {
  url: string;
}
