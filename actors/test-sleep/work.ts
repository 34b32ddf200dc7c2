// A job that runs until it is stopped (or its time bound passes): lets tests stop a running job on
// every target and wait on it with a timeout. Test-only (JOB_TABLE testOnly).
import type { Timers } from '../../runtime/env/types.ts';
import type { JobWork } from '../xact/machine.ts';
import { ZERO_COUNTERS } from '../../protocol/xact.ts';

/** Even never stopped, the job ends after this long. */
export const TEST_SLEEP_MS_MAX = 120_000;

export function testSleepWork(timers: Timers, sleepMs = TEST_SLEEP_MS_MAX): JobWork {
  return ({ signal }) =>
    new Promise((resolve) => {
      const done = () => {
        timers.clearTimeout(timer);
        resolve({ counters: ZERO_COUNTERS });
      };
      const timer = timers.setTimeout(done, Math.min(sleepMs, TEST_SLEEP_MS_MAX));
      if (signal.aborted) done();
      else signal.addEventListener('abort', done, { once: true });
    });
}
