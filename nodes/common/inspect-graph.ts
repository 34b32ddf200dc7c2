// The shape of an xstate machine as plain data (states, initial, transitions), so the inspection UI
// can draw any machine from its definition instead of a hand-made picture that drifts from the code.
import type { AnyStateMachine } from 'xstate';

export interface GraphState {
  /** State key (top level; nested states are flattened as `parent.child`). */
  name: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
}

export interface GraphEdge {
  from: string;
  to: string;
  /** Event types that take this edge, shortened for display (`job.start` → `start`, done/error of invokes → `done`/`error`). */
  events: string[];
}

export interface MachineGraph {
  id: string;
  initial: string;
  states: GraphState[];
  edges: GraphEdge[];
}

/** Minimal structural view of an xstate v5 StateNode: only what the walk reads. */
interface NodeView {
  key: string;
  type: GraphState['type'];
  states: Record<string, NodeView>;
  on: Record<string, ReadonlyArray<{ target?: ReadonlyArray<{ path: readonly string[] }> }>>;
  always?: ReadonlyArray<{ target?: ReadonlyArray<{ path: readonly string[] }> }>;
  initial?: { target: ReadonlyArray<{ path: readonly string[] }> };
  path: readonly string[];
}

/** Display name of an event type: drops the `job.` style prefix and xstate's actor ids. */
export function shortEvent(type: string): string {
  if (type.startsWith('xstate.done.actor.')) return 'done';
  if (type.startsWith('xstate.error.actor.')) return 'error';
  if (type === '') return 'always';
  const dot = type.indexOf('.');
  return dot > 0 && !type.startsWith('xstate.') ? type.slice(dot + 1) : type;
}

/** Walks `machine.root`; transitions without a target (actions only) are not edges. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root as unknown as NodeView;
  const states: GraphState[] = [];
  const edges = new Map<string, GraphEdge>();
  const name = (path: readonly string[]): string => path.join('.');
  const addEdge = (from: string, to: string, event: string): void => {
    const key = `${from}\u0000${to}`;
    const edge = edges.get(key) ?? { from, to, events: [] };
    edges.set(key, edge);
    const short = shortEvent(event);
    if (!edge.events.includes(short)) edge.events.push(short);
  };
  const walk = (node: NodeView): void => {
    for (const child of Object.values(node.states)) {
      const from = name(child.path);
      states.push({ name: from, type: child.type });
      for (const [event, transitions] of Object.entries(child.on)) {
        for (const t of transitions) for (const target of t.target ?? []) addEdge(from, name(target.path), event);
      }
      for (const t of child.always ?? []) for (const target of t.target ?? []) addEdge(from, name(target.path), '');
      walk(child);
    }
  };
  walk(root);
  const initial = root.initial?.target[0];
  return { id: machine.id, initial: initial ? name(initial.path) : (states[0]?.name ?? ''), states, edges: [...edges.values()] };
}
