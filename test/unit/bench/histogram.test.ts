import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bucketIndex, bucketRange, Histogram, HISTOGRAM_BUCKETS, HISTOGRAM_VALUE_US_MAX } from '../../../bench/histogram.ts';

const RELATIVE_ERROR_MAX = 1 / 64;

test('every value lands in a bucket whose range holds it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: HISTOGRAM_VALUE_US_MAX }), (v) => {
      const i = bucketIndex(v);
      assert.ok(i >= 0 && i < HISTOGRAM_BUCKETS);
      const [lo, hi] = bucketRange(i);
      assert.ok(lo <= v && v <= hi, `${v} not in [${lo}, ${hi}] of bucket ${i}`);
      assert.ok(hi - lo <= Math.max(0, lo * RELATIVE_ERROR_MAX), `bucket ${i} too wide`);
    }),
  );
});

test('buckets are contiguous and ordered', () => {
  for (let i = 1; i < HISTOGRAM_BUCKETS; i++) assert.equal(bucketRange(i)[0], bucketRange(i - 1)[1] + 1, `gap before bucket ${i}`);
});

test('percentiles of 1..10000 µs are within the bucket error', () => {
  const h = new Histogram();
  for (let v = 1; v <= 10_000; v++) h.record(v);
  for (const [p, want] of [[50, 5000], [90, 9000], [99, 9900], [100, 10_000]] as const) {
    const got = h.percentileUs(p);
    assert.ok(Math.abs(got - want) <= want * RELATIVE_ERROR_MAX, `p${p}: ${got}, want ≈ ${want}`);
  }
  assert.equal(h.total, 10_000);
  assert.equal(h.minUs, 1);
  assert.equal(h.maxUs, 10_000);
  assert.equal(h.meanUs(), 5000.5);
});

test('small values are exact', () => {
  const h = new Histogram();
  for (const v of [3, 3, 7, 9]) h.record(v);
  assert.equal(h.percentileUs(50), 3);
  assert.equal(h.percentileUs(75), 7);
  assert.equal(h.percentileUs(100), 9);
});

test('merging snapshots equals recording everything in one histogram', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 5_000_000 }), { maxLength: 200 }), { minLength: 1, maxLength: 6 }),
      (parts) => {
        const whole = new Histogram();
        const merged = new Histogram();
        for (const values of parts) {
          const h = new Histogram();
          for (const v of values) {
            h.record(v);
            whole.record(v);
          }
          // Through JSON, as over IPC.
          merged.merge(JSON.parse(JSON.stringify(h.snapshot())));
        }
        assert.deepEqual(merged.snapshot(), whole.snapshot());
        for (const p of [50, 90, 99, 100]) assert.equal(merged.percentileUs(p), whole.percentileUs(p));
      },
    ),
  );
});

test('empty histogram reports zeros and bad percentiles throw', () => {
  const h = new Histogram();
  assert.equal(h.percentileUs(99), 0);
  assert.deepEqual(h.snapshot().minUs, 0);
  assert.throws(() => h.percentileUs(0), RangeError);
  assert.throws(() => h.percentileUs(101), RangeError);
  assert.throws(() => h.merge({ counts: [1], total: 1, minUs: 1, maxUs: 1, sumUs: 1 }), /buckets/);
});

test('values beyond the range are clamped, not lost', () => {
  const h = new Histogram();
  h.record(HISTOGRAM_VALUE_US_MAX * 4);
  h.record(-5);
  assert.equal(h.total, 2);
  assert.equal(h.maxUs, HISTOGRAM_VALUE_US_MAX);
  assert.equal(h.minUs, 0);
});
