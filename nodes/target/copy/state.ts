// Per-job state of copy-bck on one target, shared by its walk (sender) and the receive handlers:
// one set of counters (in-objs/bytes are the receiver's) and the peers that said they are done.
// Created by whichever comes first: the job start or a peer's first message.
import { ZERO_COUNTERS, type Counters } from '../../../protocol/xact.ts';

/** Copy jobs whose state a target keeps (a message for an unknown id past this drops the oldest). */
export const COPY_STATES_MAX = 256;

export interface CopyState {
  counters: Counters;
  peersDone: Set<string>;
  /** Set while the job runs: publishes the counters. */
  report?: () => void;
  /** Set while the job waits for its peers. */
  wake?: () => void;
}

export class CopyStates {
  readonly #states = new Map<string, CopyState>();

  get(xid: string): CopyState {
    let s = this.#states.get(xid);
    if (s === undefined) {
      s = { counters: { ...ZERO_COUNTERS }, peersDone: new Set() };
      this.#states.set(xid, s);
      if (this.#states.size > COPY_STATES_MAX) this.#states.delete(this.#states.keys().next().value!);
    }
    return s;
  }

  drop(xid: string): void {
    this.#states.delete(xid);
  }
}
