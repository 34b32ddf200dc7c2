import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimRandom } from '../../../../sim/env/random.ts';

const draws = (r: SimRandom, n: number): number[] => Array.from({ length: n }, () => r.next32());

test('the same seed gives the same sequence, another seed another', () => {
  assert.deepEqual(draws(new SimRandom(42), 100), draws(new SimRandom(42), 100));
  assert.notDeepEqual(draws(new SimRandom(42), 100), draws(new SimRandom(43), 100));
});

test('per-node streams are independent: draws on one do not move another', () => {
  const a1 = SimRandom.stream(7, 't8081');
  const a2 = SimRandom.stream(7, 't8081');
  const other = SimRandom.stream(7, 't8082');
  draws(other, 50);
  assert.deepEqual(draws(a1, 20), draws(a2, 20));
  assert.notDeepEqual(draws(SimRandom.stream(7, 't8081'), 20), draws(SimRandom.stream(7, 't8082'), 20));
  assert.notDeepEqual(draws(SimRandom.stream(7, 't8081'), 20), draws(SimRandom.stream(8, 't8081'), 20));
});

test('float in [0,1), int in [0,n), bytes of the asked length', () => {
  const r = new SimRandom(1);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    const k = r.int(6);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 6);
    seen.add(k);
  }
  assert.equal(seen.size, 6);
  assert.equal(r.bytes(13).byteLength, 13);
});
