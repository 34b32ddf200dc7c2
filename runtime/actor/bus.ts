// The inspection bus: every actor start, transition and exit of one node, on named channels.
// A bounded ring per actor path lets a late subscriber (the inspection UI) replay recent history.
import type { WireError } from '../../protocol/errors.ts';
import type { Logger } from '../env/types.ts';

/** Events kept per actor path for late subscribers. */
export const BUS_HISTORY_LENGTH_MAX = 200;
/** Actor paths with history kept; the least recently active path is forgotten first. */
export const BUS_PATHS_MAX = 1_000;

export interface ActorStartedEvent {
  path: string;
  atMs: number;
  /** Restarts of this child so far (0 on the first start). */
  restarts: number;
}

export interface ActorTransitionEvent {
  path: string;
  atMs: number;
  machineId: string;
  /** Type of the event that caused the transition (`xstate.init` for the initial state). */
  event: string;
  /** xstate state value, JSON-shaped: `'running'` or `{ running: 'traverse' }`. */
  value: unknown;
  status: 'active' | 'done' | 'error' | 'stopped';
}

export interface ActorExitedEvent {
  path: string;
  atMs: number;
  restarts: number;
  /** Absent on a normal exit. */
  error?: WireError;
}

export interface InspectEventMap {
  'actor.started': ActorStartedEvent;
  'actor.transition': ActorTransitionEvent;
  'actor.exited': ActorExitedEvent;
}

export type InspectChannel = keyof InspectEventMap;

/** What subscribers receive: the published event plus its channel and a bus-wide sequence number. */
export type Published<C extends InspectChannel = InspectChannel> = {
  [K in C]: InspectEventMap[K] & { channel: K; seq: number };
}[C];

export interface InspectBusOptions {
  historyLengthMax?: number;
  pathsMax?: number;
  /** Where a throwing subscriber is reported (a subscriber must never break the publishing actor). */
  log?: Logger;
}

export class InspectBus {
  readonly #historyLengthMax: number;
  readonly #pathsMax: number;
  readonly #log: Logger | undefined;
  readonly #subscribers = new Map<InspectChannel, Set<(event: Published) => void>>();
  /** Map order is recency order: a publish moves its path to the end. */
  readonly #history = new Map<string, Published[]>();
  #seq = 0;

  constructor(opts: InspectBusOptions = {}) {
    this.#historyLengthMax = opts.historyLengthMax ?? BUS_HISTORY_LENGTH_MAX;
    this.#pathsMax = opts.pathsMax ?? BUS_PATHS_MAX;
    this.#log = opts.log;
  }

  publish<C extends InspectChannel>(channel: C, event: InspectEventMap[C]): void {
    const published = { ...event, channel, seq: ++this.#seq } as Published;
    this.#remember(published);
    for (const cb of this.#subscribers.get(channel) ?? []) {
      try {
        cb(published);
      } catch (err) {
        this.#log?.warn({ err, channel }, 'inspect bus subscriber threw');
      }
    }
  }

  /**
   * Calls `cb` for each event published on `channel` from now on; with `replay`, first for the
   * remembered ones, oldest first. Returns the unsubscribe function.
   */
  subscribe<C extends InspectChannel>(channel: C, cb: (event: Published<C>) => void, opts: { replay?: boolean } = {}): () => void {
    // Only events of `channel` ever reach `entry`, so the widening is safe.
    const entry = cb as unknown as (event: Published) => void;
    if (opts.replay) for (const event of this.history()) if (event.channel === channel) entry(event);
    const set = this.#subscribers.get(channel) ?? new Set();
    this.#subscribers.set(channel, set);
    set.add(entry);
    return () => void set.delete(entry);
  }

  /** Remembered events of one actor path, or of all paths, oldest first. */
  history(path?: string): Published[] {
    if (path !== undefined) return [...(this.#history.get(path) ?? [])];
    return [...this.#history.values()].flat().sort((a, b) => a.seq - b.seq);
  }

  /** Actor paths with remembered events, least recently active first. */
  paths(): string[] {
    return [...this.#history.keys()];
  }

  #remember(event: Published): void {
    const ring = this.#history.get(event.path) ?? [];
    this.#history.delete(event.path);
    this.#history.set(event.path, ring);
    ring.push(event);
    if (ring.length > this.#historyLengthMax) ring.shift();
    if (this.#history.size > this.#pathsMax) {
      const oldest = this.#history.keys().next().value as string;
      this.#history.delete(oldest);
    }
  }
}
