// Polling with back-off for `job wait`, `bucket summary`, `bucket cp`: AIS starts at 2 s and grows to
// minutes; a local cluster answers in milliseconds, so start snappy and stay bounded.
import { ErrTimeout } from '../protocol/errors.ts';
import { formatDuration } from './duration.ts';

export const POLL_INTERVAL_START_MS = 200;
export const POLL_INTERVAL_MAX_MS = 2_000;
/** Growth factor per poll (AIS grows its interval too, more slowly at first). */
export const POLL_INTERVAL_GROWTH = 1.5;

/** The interval after `prevMs`, within [START, MAX]. */
export function nextPollInterval(prevMs: number): number {
  const next = Math.round(prevMs * POLL_INTERVAL_GROWTH);
  return Math.min(POLL_INTERVAL_MAX_MS, Math.max(POLL_INTERVAL_START_MS, next));
}

export interface PollOptions {
  /** 0: no limit. */
  timeoutMs: number;
  /** What we wait for, for the timeout message: `timed out waiting for <what> after <dur>`. */
  what: string;
  /** Interval cap for this loop (e.g. a progress bar wants fresh numbers), at most POLL_INTERVAL_MAX_MS. */
  maxIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `probe` until it returns a value (not undefined); throws ErrTimeout past the deadline. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const cap = Math.min(opts.maxIntervalMs ?? POLL_INTERVAL_MAX_MS, POLL_INTERVAL_MAX_MS);
  const started = now();
  let interval = POLL_INTERVAL_START_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    const elapsed = now() - started;
    if (opts.timeoutMs > 0 && elapsed >= opts.timeoutMs) {
      throw new ErrTimeout(`timed out waiting for ${opts.what} after ${formatDuration(opts.timeoutMs)}`);
    }
    const wait = opts.timeoutMs > 0 ? Math.min(interval, Math.max(1, opts.timeoutMs - elapsed)) : interval;
    await sleep(Math.min(wait, cap));
    interval = nextPollInterval(interval);
  }
}
