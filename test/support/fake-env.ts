// A deterministic Env for unit tests: manual clock and timers (advance(ms) runs due timers in order),
// a seeded PRNG, a capturing logger, and disk/net that throw unless the test plugs its own in.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Clock, Disk, Env, Logger, Net, Random, TimerHandle, Timers } from '../../runtime/env/types.ts';
import { inlineWorkers } from '../../runtime/env/real/workers.ts';

/** advance() refuses to run more timers than this in one call (a zero-delay timer loop is a bug). */
export const FAKE_TIMERS_PER_ADVANCE_MAX = 1_000_000;
/** Realtime at fake monotonic 0: 2024-01-01T00:00:00Z. */
export const FAKE_REALTIME_START_MS = 1_704_067_200_000;

interface FakeTimer {
  id: number;
  atMs: number;
  fn: () => void;
  /** Set for intervals. */
  everyMs?: number;
}

/** Lets pending promise continuations run (a macrotask turn drains every queued microtask). */
export async function flush(): Promise<void> {
  await nextMacrotask();
}

export class FakeTimers implements Timers {
  nowMs = 0;
  /** Every delay requested through setTimeout/setInterval/sleep, in call order. */
  readonly requestedMs: number[] = [];
  #pending = new Map<number, FakeTimer>();
  #nextId = 1;

  setTimeout = (fn: () => void, ms: number): TimerHandle => this.#add(fn, ms);
  clearTimeout = (handle: TimerHandle): void => void this.#pending.delete((handle as { id: number }).id);
  setInterval = (fn: () => void, ms: number): TimerHandle => this.#add(fn, ms, Math.max(1, ms));
  clearInterval = (handle: TimerHandle): void => this.clearTimeout(handle);
  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.#add(resolve, ms));

  /** Pending timers, soonest first. */
  pending(): { atMs: number; everyMs?: number }[] {
    return this.#ordered().map(({ atMs, everyMs }) => ({ atMs, everyMs }));
  }

  /**
   * Moves time forward by `ms`, running every timer due on the way in (time, creation) order, and
   * letting promise continuations settle after each one.
   */
  async advance(ms: number): Promise<void> {
    const untilMs = this.nowMs + ms;
    await flush();
    for (let ran = 0; ; ran++) {
      if (ran >= FAKE_TIMERS_PER_ADVANCE_MAX) throw new Error(`more than ${FAKE_TIMERS_PER_ADVANCE_MAX} timers in one advance`);
      const next = this.#ordered()[0];
      if (next === undefined || next.atMs > untilMs) break;
      this.nowMs = next.atMs;
      if (next.everyMs === undefined) this.#pending.delete(next.id);
      else next.atMs += next.everyMs;
      next.fn();
      await flush();
    }
    this.nowMs = untilMs;
  }

  /** Advances to the soonest pending timer and runs it (and any due at the same time). */
  async runNext(): Promise<boolean> {
    await flush(); // pending continuations may still be about to set the timer
    const next = this.#ordered()[0];
    if (next === undefined) return false;
    await this.advance(next.atMs - this.nowMs);
    return true;
  }

  #add(fn: () => void, ms: number, everyMs?: number): TimerHandle {
    const delayMs = Math.max(0, ms);
    this.requestedMs.push(delayMs);
    const timer: FakeTimer = { id: this.#nextId++, atMs: this.nowMs + delayMs, fn, everyMs };
    this.#pending.set(timer.id, timer);
    return { id: timer.id };
  }

  #ordered(): FakeTimer[] {
    return [...this.#pending.values()].sort((a, b) => a.atMs - b.atMs || a.id - b.id);
  }
}

export class FakeClock implements Clock {
  /** Added to realtime only: the simulator's wall-clock drift. */
  driftMs = 0;
  constructor(readonly timers: FakeTimers, readonly realtimeStartMs = FAKE_REALTIME_START_MS) {}
  monotonicMs = (): number => this.timers.nowMs;
  realtimeMs = (): number => this.realtimeStartMs + this.driftMs + this.timers.nowMs;
  realtimeNs = (): bigint => BigInt(Math.round(this.realtimeMs() * 1_000_000));
}

/** mulberry32: small, fast, good enough for tests and simulations; same seed, same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const float = (): number => ((next32() >>> 5) * 2 ** 26 + (next32() >>> 6)) / 2 ** 53;
  return {
    float,
    int: (n) => Math.floor(float() * n),
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = next32() & 0xff;
      return out;
    },
  };
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  bindings: Record<string, string | number>;
  obj: object;
  msg: string | undefined;
}

/** Records every line (with its child bindings merged) in `lines`, shared by all its children. */
export interface CaptureLogger extends Logger {
  readonly lines: LogLine[];
}

export function captureLogger(bindings: Record<string, string | number> = {}, lines: LogLine[] = []): CaptureLogger {
  const at = (level: LogLine['level']) => (obj: object | string, msg?: string): void => {
    lines.push(typeof obj === 'string' ? { level, bindings, obj: {}, msg: obj } : { level, bindings, obj, msg });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLogger({ ...bindings, ...more }, lines),
  };
}

/** An object whose every method throws: for the parts of the Env a test must not touch. */
function unavailable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, prop) => {
      if (typeof prop === 'symbol' || prop === 'then') return undefined; // not thenable, inspectable
      return () => {
        throw new Error(`env.${name}.${prop}: not available in fake env`);
      };
    },
  });
}

export interface FakeEnvOptions {
  nodeId?: string;
  seed?: number;
  realtimeStartMs?: number;
  disk?: Disk;
  net?: Net;
  log?: Logger;
}

export interface FakeEnv extends Env {
  readonly clock: FakeClock;
  readonly timers: FakeTimers;
  /** The capturing logger, unless `opts.log` replaced it. */
  readonly logLines: LogLine[];
  /** Same as timers.advance(ms). */
  advance(ms: number): Promise<void>;
}

export function fakeEnv(opts: FakeEnvOptions = {}): FakeEnv {
  const timers = new FakeTimers();
  const clock = new FakeClock(timers, opts.realtimeStartMs);
  const nodeId = opts.nodeId ?? 'fake-node';
  const capture = captureLogger({ node: nodeId });
  return {
    nodeId,
    clock,
    timers,
    random: seededRandom(opts.seed ?? 1),
    disk: opts.disk ?? unavailable<Disk>('disk'),
    net: opts.net ?? unavailable<Net>('net'),
    log: opts.log ?? capture,
    workers: inlineWorkers(), // computes inline: deterministic, no threads
    logLines: capture.lines,
    advance: (ms) => timers.advance(ms),
  };
}
