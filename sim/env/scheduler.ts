// Discrete-event scheduler: virtual time in ms and a priority queue of events ordered by (time, seq),
// so that events due at the same instant run in the order they were scheduled. Nothing here waits:
// the driver pops the next event and jumps the clock to it.
import type { Clock, TimerHandle, Timers } from '../../runtime/env/types.ts';
import type { Trace } from '../trace.ts';

/** Realtime at virtual 0: 2025-01-01T00:00:00Z (any fixed epoch works; fixed keeps traces stable). */
export const SIM_EPOCH_MS = 1_735_689_600_000;
/** An interval shorter than this would spin the scheduler without advancing time. */
export const SIM_INTERVAL_MS_MIN = 1;

const NOOP = (): void => {};

export interface SimEvent {
  readonly atMs: number;
  readonly seq: number;
  /** Who it happens to (node id, or 'world'), for the trace. */
  readonly node: string;
  /** What it is ('timer', 'msg', 'http.req', ...), for the trace. */
  readonly kind: string;
  /** Extra trace detail (e.g. frame length); part of the trace hash. */
  readonly detail: number;
  fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  #nowMs = 0;
  #seq = 0;
  #heap: SimEvent[] = [];
  #live = 0;
  /** Events run so far (the tick count). */
  ticks = 0;

  constructor(readonly trace?: Trace) {}

  get nowMs(): number {
    return this.#nowMs;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.#live;
  }

  /** Entries in the queue, cancelled ones included (they leave it when they reach the head). */
  get queued(): number {
    return this.#heap.length;
  }

  /** Time of the next live event, or undefined when idle. */
  peekMs(): number | undefined {
    this.#dropCancelledHead();
    return this.#heap[0]?.atMs;
  }

  at(atMs: number, node: string, kind: string, fn: () => void, detail = 0): SimEvent {
    const ev: SimEvent = { atMs: Math.max(atMs, this.#nowMs), seq: this.#seq++, node, kind, detail, fn, cancelled: false };
    this.#push(ev);
    this.#live++;
    return ev;
  }

  after(delayMs: number, node: string, kind: string, fn: () => void, detail = 0): SimEvent {
    const d = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    return this.at(this.#nowMs + d, node, kind, fn, detail);
  }

  cancel(ev: SimEvent): void {
    if (ev.cancelled) return;
    ev.cancelled = true;
    ev.fn = NOOP; // the entry stays queued until it reaches the head: let its closure go now (GC)
    this.#live--;
  }

  /** Pops the next live event, advances the clock to it, runs it. False when there is none. */
  step(): boolean {
    this.#dropCancelledHead();
    const ev = this.#pop();
    if (ev === undefined) return false;
    ev.cancelled = true; // ran: a later cancel is a no-op
    this.#live--;
    this.#nowMs = ev.atMs;
    this.ticks++;
    this.trace?.record(ev.atMs, ev.node, ev.kind, ev.detail);
    ev.fn();
    return true;
  }

  #dropCancelledHead(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
  }

  #less(a: SimEvent, b: SimEvent): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  #push(ev: SimEvent): void {
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): SimEvent | undefined {
    const h = this.#heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

interface SimTimer {
  ev: SimEvent | undefined;
  cleared: boolean;
}

/**
 * One node's timers on the shared scheduler (each firing is a traced 'timer' event of that node).
 * `kill()` (the node crashed) cancels every pending timer and makes later calls inert: the memory
 * state of a crashed incarnation never runs again.
 */
export class SimTimers implements Timers {
  #dead = false;
  readonly #pending = new Set<SimEvent>();
  constructor(readonly sched: Scheduler, readonly nodeId: string) {}

  get dead(): boolean {
    return this.#dead;
  }

  /** The incarnation crashed: cancel everything, run nothing more. */
  kill(): void {
    this.#dead = true;
    for (const ev of this.#pending) this.sched.cancel(ev);
    this.#pending.clear();
  }

  #after(ms: number, fn: () => void): SimEvent | undefined {
    if (this.#dead) return undefined;
    const ev: SimEvent = this.sched.after(ms, this.nodeId, 'timer', () => {
      this.#pending.delete(ev);
      if (!this.#dead) fn();
    });
    this.#pending.add(ev);
    return ev;
  }

  setTimeout = (fn: () => void, ms: number): TimerHandle => {
    const t: SimTimer = { ev: undefined, cleared: false };
    t.ev = this.#after(ms, fn);
    return t;
  };

  clearTimeout = (handle: TimerHandle): void => {
    const t = handle as SimTimer;
    if (t === undefined || t === null || t.cleared) return;
    t.cleared = true;
    if (t.ev !== undefined) {
      this.sched.cancel(t.ev);
      this.#pending.delete(t.ev);
    }
  };

  setInterval = (fn: () => void, ms: number): TimerHandle => {
    const every = Math.max(SIM_INTERVAL_MS_MIN, Number.isFinite(ms) ? ms : SIM_INTERVAL_MS_MIN);
    const t: SimTimer = { ev: undefined, cleared: false };
    const fire = (): void => {
      if (t.cleared) return;
      t.ev = this.#after(every, fire);
      fn();
    };
    t.ev = this.#after(every, fire);
    return t;
  };

  clearInterval = (handle: TimerHandle): void => this.clearTimeout(handle);

  sleep = (ms: number): Promise<void> => new Promise((resolve) => void this.#after(ms, resolve));
}

/** A node's clock: monotonic = virtual time; realtime = epoch + virtual time + this node's drift. */
export class SimClock implements Clock {
  /** Wall-clock skew of this node (ms); the monotonic clock never drifts. */
  driftMs = 0;
  constructor(readonly sched: Scheduler, readonly epochMs = SIM_EPOCH_MS) {}
  monotonicMs = (): number => this.sched.nowMs;
  realtimeMs = (): number => this.epochMs + this.driftMs + this.sched.nowMs;
  realtimeNs = (): bigint => BigInt(Math.round(this.realtimeMs() * 1_000_000));
}
