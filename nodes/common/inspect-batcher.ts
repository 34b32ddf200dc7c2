// Collects inspection events and hands them over in batches on a timer (env.timers): one message per
// interval instead of one per transition, with a bounded queue that drops the oldest when a consumer
// is slower than the node (the UI shows the drop count; it never slows the actors down).
import type { Timers, TimerHandle } from '../../runtime/env/types.ts';

export const INSPECT_BATCH_INTERVAL_MS = 100;
/** Events kept between two flushes; older ones are dropped first. */
export const INSPECT_QUEUE_LENGTH_MAX = 2_000;
/** Events per flushed batch; the rest wait for the next tick. */
export const INSPECT_BATCH_LENGTH_MAX = 500;

export interface BatcherOptions<T> {
  timers: Timers;
  flush: (items: T[], dropped: number) => void;
  intervalMs?: number;
  queueLengthMax?: number;
  batchLengthMax?: number;
}

export class EventBatcher<T> {
  readonly #opts: Required<BatcherOptions<T>>;
  #queue: T[] = [];
  #dropped = 0;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(opts: BatcherOptions<T>) {
    this.#opts = {
      intervalMs: INSPECT_BATCH_INTERVAL_MS,
      queueLengthMax: INSPECT_QUEUE_LENGTH_MAX,
      batchLengthMax: INSPECT_BATCH_LENGTH_MAX,
      ...opts,
    };
  }

  push(item: T): void {
    if (this.#closed) return;
    this.#queue.push(item);
    if (this.#queue.length > this.#opts.queueLengthMax) {
      const over = this.#queue.length - this.#opts.queueLengthMax;
      this.#queue.splice(0, over);
      this.#dropped += over;
    }
    this.#arm();
  }

  get length(): number {
    return this.#queue.length;
  }

  /** Hands over up to one batch now (also what the timer does). */
  flushNow(): void {
    this.#timer = undefined;
    if (this.#queue.length === 0 && this.#dropped === 0) return;
    const items = this.#queue.splice(0, this.#opts.batchLengthMax);
    const dropped = this.#dropped;
    this.#dropped = 0;
    this.#opts.flush(items, dropped);
    if (this.#queue.length > 0) this.#arm();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#opts.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#opts.timers.setTimeout(() => this.flushNow(), this.#opts.intervalMs);
  }
}
