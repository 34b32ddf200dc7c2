// Real timers. Methods are closures, not prototype methods, so the object can be passed as xstate's
// `clock` option (`createActor(machine, { clock: env.timers })`) and called detached.
import type { TimerHandle, Timers } from '../types.ts';

type NodeTimeout = ReturnType<typeof setTimeout>;

export function realTimers(): Timers {
  return {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle: TimerHandle) => clearTimeout(handle as NodeTimeout),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (handle: TimerHandle) => clearInterval(handle as NodeTimeout),
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
}
