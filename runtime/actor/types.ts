// Actor runtime contracts: every node is a supervisor tree of these.
import type { Env, Logger } from '../env/types.ts';
import type { InspectBus } from './bus.ts';

export type RestartPolicy = 'permanent' | 'transient' | 'temporary';
export type Strategy = 'one-for-one' | 'rest-for-one';

export interface RestartIntensity {
  /** At most this many restarts ... */
  restartsMax: number;
  /** ... within this window, or the supervisor gives up and fails itself. */
  windowMs: number;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** Something running under a supervisor. */
export interface Child {
  readonly path: string;
  /** Resolves when the child has exited; with an error if it crashed. */
  readonly exited: Promise<Error | undefined>;
  stop(reason?: string): Promise<void>;
}

export interface ActorContext {
  readonly env: Env;
  /** e.g. 't[abc]/root/metasync' */
  readonly path: string;
  readonly log: Logger;
  /** Where actors publish starts, transitions and exits for inspection; none in bare unit tests. */
  readonly bus?: InspectBus;
}

export interface ChildSpec {
  id: string;
  restart: RestartPolicy;
  start(ctx: ActorContext): Promise<Child>;
}
