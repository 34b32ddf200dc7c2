// Envs for transport tests over real loopback sockets: real net, and either real time or the fake
// (manually advanced) timers of test/support/fake-env.ts. Not a test file itself.
import type { Env } from '../../../runtime/env/types.ts';
import { realClock } from '../../../runtime/env/real/clock.ts';
import { realNet } from '../../../runtime/env/real/net.ts';
import { realRandom } from '../../../runtime/env/real/random.ts';
import { realTimers } from '../../../runtime/env/real/timers.ts';
import { fakeEnv, type FakeEnv } from '../../support/fake-env.ts';

/** Real clock, timers, randomness and net; capturing logger; no disk. */
export function realNetEnv(nodeId: string): Env {
  const base = fakeEnv({ nodeId, net: realNet() });
  return { ...base, clock: realClock(), timers: realTimers(), random: realRandom() };
}

/** Fake time (advance it by hand), real net. */
export function fakeTimeRealNetEnv(nodeId: string): FakeEnv {
  return fakeEnv({ nodeId, net: realNet() });
}

export function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
