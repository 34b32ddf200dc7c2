// Real randomness from node:crypto (ids and nonces must not be predictable across nodes).
import { randomBytes, randomInt } from 'node:crypto';
import { assert } from '../../../protocol/errors.ts';
import type { Random } from '../types.ts';

/** node:crypto.randomInt accepts ranges below 2^48. */
const RANDOM_INT_RANGE_MAX = 2 ** 48;

export function realRandom(): Random {
  return {
    // 53 random bits: every double in [0, 1) with spacing 2^-53.
    float: () => Number(randomBytes(8).readBigUInt64LE() >> 11n) / 2 ** 53,
    int: (n) => {
      assert(Number.isInteger(n) && n > 0 && n <= RANDOM_INT_RANGE_MAX, `random int range ${n} out of (0, 2^48]`);
      return randomInt(n);
    },
    bytes: (n) => new Uint8Array(randomBytes(n)),
  };
}
