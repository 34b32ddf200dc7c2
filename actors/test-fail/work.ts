// A job whose work throws: proves that a failing job ends `aborted` with its error, never crashing the node.
import type { JobWork } from '../xact/machine.ts';

export const TEST_FAIL_MESSAGE = 'test-fail: the work threw on purpose';

export function testFailWork(): JobWork {
  return async () => {
    await Promise.resolve();
    throw new Error(TEST_FAIL_MESSAGE);
  };
}
