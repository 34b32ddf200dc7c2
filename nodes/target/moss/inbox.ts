// What a designated target holds of a work item's remote items: the pieces the senders pushed, per
// item index, until the assembly takes them. A message is acknowledged (the sender's credit comes
// back) only when all of its pieces were consumed, so what waits here is bounded by the senders'
// windows. Waiting for an item gives up after `idleMs` without news from its sender.
import type { MossPiece } from '../../../protocol/moss.ts';
import type { Timers, Clock } from '../../../runtime/env/types.ts';

export interface InPiece extends MossPiece {
  from: string;
  /** The assembly is done with this piece (its message's acknowledgement may go). */
  consumed(): void;
}

interface Waiter {
  wake(): void;
}

export class Inbox {
  readonly #timers: Timers;
  readonly #clock: Clock;
  readonly #slots = new Map<number, InPiece[]>();
  readonly #waiters = new Map<number, Waiter>();
  /** Monotonic ms of the last news from each sender (a message, or our taking its pieces). */
  readonly #heard = new Map<string, number>();
  #failed: Error | undefined;
  #bytes = 0;
  /** Bytes held now (accounted against the DT's budget by the owner). */
  get bytes(): number {
    return this.#bytes;
  }

  constructor(timers: Timers, clock: Clock) {
    this.#timers = timers;
    this.#clock = clock;
  }

  /** A sender's message: its pieces wait here; resolves once all are consumed (the acknowledgement). */
  put(from: string, pieces: readonly MossPiece[]): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    this.#heard.set(from, this.#clock.monotonicMs());
    if (pieces.length === 0) return Promise.resolve();
    let left = pieces.length;
    let ack!: { resolve: () => void; reject: (e: Error) => void };
    const acked = new Promise<void>((resolve, reject) => (ack = { resolve, reject }));
    this.#pendingAcks.add(ack);
    for (const p of pieces) {
      let once = false;
      const piece: InPiece = {
        ...p,
        from,
        consumed: () => {
          if (once) return;
          once = true;
          this.#bytes -= p.data.byteLength;
          this.#heard.set(from, this.#clock.monotonicMs());
          if (--left === 0 && this.#pendingAcks.delete(ack)) ack.resolve();
        },
      };
      this.#bytes += p.data.byteLength;
      let q = this.#slots.get(p.i);
      if (q === undefined) this.#slots.set(p.i, (q = []));
      q.push(piece);
      this.#waiters.get(p.i)?.wake();
    }
    return acked;
  }

  /** Messages not yet acknowledged: a failure of the inbox answers them with the error. */
  readonly #pendingAcks = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  /** The sender has been heard of now (the assembly starts waiting on it). */
  touch(from: string): void {
    this.#heard.set(from, this.#clock.monotonicMs());
  }

  /**
   * The next piece of item `i` from `from`; undefined when the sender stayed silent for `idleMs`.
   * Throws once the inbox failed (the work item ended).
   */
  async next(i: number, from: string, idleMs: number): Promise<InPiece | undefined> {
    for (;;) {
      if (this.#failed) throw this.#failed;
      const q = this.#slots.get(i);
      if (q !== undefined && q.length > 0) {
        const p = q.shift()!;
        if (q.length === 0) this.#slots.delete(i);
        return p;
      }
      const heard = this.#heard.get(from) ?? this.#clock.monotonicMs();
      if (!this.#heard.has(from)) this.#heard.set(from, heard);
      const left = heard + idleMs - this.#clock.monotonicMs();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = this.#timers.setTimeout(() => wake(), left);
        const wake = () => {
          this.#timers.clearTimeout(timer);
          if (this.#waiters.get(i) === waiter) this.#waiters.delete(i);
          resolve();
        };
        const waiter: Waiter = { wake };
        this.#waiters.set(i, waiter);
      });
    }
  }

  /** Drops what a silent sender still had here (its later pieces are not waited for). */
  dropFrom(from: string): void {
    for (const [i, q] of this.#slots) {
      const keep = q.filter((p) => p.from !== from);
      for (const p of q) if (p.from === from) p.consumed();
      if (keep.length === 0) this.#slots.delete(i);
      else this.#slots.set(i, keep);
    }
  }

  /** Ends the inbox: waiting senders get `err` as their acknowledgement, waiting readers throw it. */
  fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = err;
    const acks = [...this.#pendingAcks];
    this.#pendingAcks.clear();
    for (const a of acks) a.reject(err);
    for (const q of this.#slots.values()) for (const p of q) p.consumed();
    this.#slots.clear();
    for (const w of [...this.#waiters.values()]) w.wake();
  }
}
