// A bounded FIFO mailbox: senders never block, a full mailbox refuses (429) instead of growing
// without bound, and one consumer handles messages one at a time, awaiting async handlers.
import { ErrInvalidArgument, ErrMailboxFull, ErrNotReady } from '../../protocol/errors.ts';

export const MAILBOX_LENGTH_MAX = 10_000;
/** Consumed slots are dropped from the array once there are this many (and they are the majority). */
const MAILBOX_COMPACT_LENGTH_MIN = 1_024;

export interface MailboxOptions<T> {
  /** Actor path, named in errors. */
  path: string;
  handle(msg: T): void | Promise<void>;
  /** A throwing handler does not stop the mailbox; its error goes here. */
  onError(err: unknown, msg: T): void;
  lengthMax?: number;
}

export class Mailbox<T> {
  readonly path: string;
  readonly lengthMax: number;
  readonly #handle: (msg: T) => void | Promise<void>;
  readonly #onError: (err: unknown, msg: T) => void;
  #queue: (T | undefined)[] = [];
  #head = 0;
  /** The running drain loop, if any. */
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(opts: MailboxOptions<T>) {
    const lengthMax = opts.lengthMax ?? MAILBOX_LENGTH_MAX;
    if (!Number.isInteger(lengthMax) || lengthMax < 1) {
      throw new ErrInvalidArgument(`mailbox lengthMax ${lengthMax}: use an integer >= 1`);
    }
    this.path = opts.path;
    this.lengthMax = lengthMax;
    this.#handle = opts.handle;
    this.#onError = opts.onError;
  }

  get length(): number {
    return this.#queue.length - this.#head;
  }

  /** Enqueues `msg`; throws ErrMailboxFull (429) when full, ErrNotReady (503) once closed. */
  push(msg: T): void {
    if (this.#closed) throw new ErrNotReady(`actor "${this.path}" has stopped`);
    if (this.length >= this.lengthMax) throw new ErrMailboxFull(this.path, this.lengthMax);
    this.#queue.push(msg);
    this.#draining ??= this.#drain();
  }

  /** Resolves once every message pushed so far has been handled (or dropped by close). */
  idle(): Promise<void> {
    return this.#draining ?? Promise.resolve();
  }

  /** Refuses further messages and drops the queued ones; returns how many were dropped. */
  close(): number {
    const dropped = this.length;
    this.#closed = true;
    this.#queue = [];
    this.#head = 0;
    return dropped;
  }

  async #drain(): Promise<void> {
    await undefined; // never handle inside push(): the sender may be mid-way through its own update
    while (!this.#closed && this.length > 0) {
      const msg = this.#queue[this.#head] as T;
      this.#queue[this.#head++] = undefined;
      if (this.#head >= MAILBOX_COMPACT_LENGTH_MIN && this.#head * 2 >= this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      try {
        const pending = this.#handle(msg);
        if (pending !== undefined) await pending;
      } catch (err) {
        this.#onError(err, msg);
      }
    }
    this.#draining = undefined;
  }
}
