import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrRangeNotSatisfiable } from '../../../../protocol/errors.ts';
import { BCK, bodyOf, openFixture, patternBytes, PUT_DEFAULTS, readGot } from './storage-fixture.ts';

test('GET with an inclusive byte range returns exactly those bytes', async () => {
  const fx = await openFixture();
  try {
    const data = Buffer.from(patternBytes(1_000_000));
    await fx.storage.put(BCK, 'o', bodyOf(data), PUT_DEFAULTS);
    const cases = [
      [0, 0],
      [0, 9],
      [10, 10],
      [123_456, 654_321],
      [999_999, 999_999],
      [262_143, 262_144 + 262_144], // across read-chunk boundaries
    ] as const;
    for (const [start, end] of cases) {
      const got = await fx.storage.get(BCK, 'o', { start, end });
      assert.deepEqual(got.range, { start, end });
      assert.deepEqual(await readGot(got), data.subarray(start, end + 1), `${start}-${end}`);
      assert.equal(got.meta.size, data.length); // meta is the whole object's
    }
    // An end past the last byte is clamped, as HTTP ranges.
    const tail = await fx.storage.get(BCK, 'o', { start: 999_990, end: 5_000_000 });
    assert.deepEqual(tail.range, { start: 999_990, end: 999_999 });
    assert.deepEqual(await readGot(tail), data.subarray(999_990));
  } finally {
    await fx.cleanup();
  }
});

test('unsatisfiable ranges are 416', async () => {
  const fx = await openFixture();
  try {
    await fx.storage.put(BCK, 'o', bodyOf(patternBytes(100)), PUT_DEFAULTS);
    await fx.storage.put(BCK, 'empty', bodyOf(''), PUT_DEFAULTS);
    for (const r of [{ start: 100, end: 200 }, { start: 50, end: 10 }, { start: -1, end: 3 }, { start: 1.5, end: 3 }]) {
      await assert.rejects(fx.storage.get(BCK, 'o', r), (e) => e instanceof ErrRangeNotSatisfiable && e.status === 416, JSON.stringify(r));
    }
    await assert.rejects(fx.storage.get(BCK, 'empty', { start: 0, end: 0 }), ErrRangeNotSatisfiable);
  } finally {
    await fx.cleanup();
  }
});
