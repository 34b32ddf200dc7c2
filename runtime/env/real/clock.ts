// The real clock. realtimeNs is anchored once to Date.now and then advanced by the monotonic hrtime,
// so nanosecond stamps (AIS `Ais-Atime`) keep sub-millisecond order within a process.
import type { Clock } from '../types.ts';

export function realClock(): Clock {
  const originHrNs = process.hrtime.bigint();
  const originEpochNs = BigInt(Date.now()) * 1_000_000n;
  return {
    monotonicMs: () => performance.now(),
    realtimeMs: () => Date.now(),
    realtimeNs: () => originEpochNs + (process.hrtime.bigint() - originHrNs),
  };
}
