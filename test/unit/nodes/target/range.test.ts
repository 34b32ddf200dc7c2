// parseRange: one HTTP byte range (RFC 9110 §14.1.2) against an object size; anything unsatisfiable
// or malformed is ErrRangeNotSatisfiable (416) carrying the size for `Content-Range: bytes */size`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRange } from '../../../../nodes/target/range.ts';
import { ErrRangeNotSatisfiable } from '../../../../protocol/errors.ts';

function assert416(header: string, size: number): void {
  assert.throws(
    () => parseRange(header, size),
    (e: unknown) => e instanceof ErrRangeNotSatisfiable && e.status === 416 && e.tcode === 'ErrRangeNotSatisfiable' && e.size === size,
    `"${header}" on ${size} bytes`,
  );
}

test('no header or an empty one: the whole object', () => {
  assert.equal(parseRange(undefined, 100), undefined);
  assert.equal(parseRange('', 100), undefined);
});

test('first-last', () => {
  assert.deepEqual(parseRange('bytes=0-9', 1000), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=5-5', 1000), { start: 5, end: 5 });
  assert.deepEqual(parseRange('bytes=0-0', 1), { start: 0, end: 0 });
});

test('a last byte past the end is clamped', () => {
  assert.deepEqual(parseRange('bytes=990-5000', 1000), { start: 990, end: 999 });
});

test('open-ended first-', () => {
  assert.deepEqual(parseRange('bytes=10-', 1000), { start: 10, end: 999 });
  assert.deepEqual(parseRange('bytes=999-', 1000), { start: 999, end: 999 });
});

test('suffix -n', () => {
  assert.deepEqual(parseRange('bytes=-5', 1000), { start: 995, end: 999 });
  assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 }, 'a suffix longer than the object is the whole object');
});

test('surrounding whitespace is tolerated', () => {
  assert.deepEqual(parseRange('  bytes=0-1 ', 10), { start: 0, end: 1 });
});

test('unsatisfiable: start at or past the size', () => {
  assert416('bytes=1000-', 1000);
  assert416('bytes=1000-1001', 1000);
  assert416('bytes=0-', 0);
});

test('unsatisfiable: a zero suffix, or any suffix of an empty object', () => {
  assert416('bytes=-0', 1000);
  assert416('bytes=-5', 0);
});

test('malformed: end before start, other units, multi-range, garbage', () => {
  assert416('bytes=9-0', 1000);
  assert416('items=0-9', 1000);
  assert416('bytes=0-1,5-6', 1000);
  assert416('bytes=-', 1000);
  assert416('bytes=a-b', 1000);
  assert416('bytes=1-2-3', 1000);
  assert416('bytes= -x', 1000);
  assert416('0-9', 1000);
});

test('property: every returned range lies inside the object', () => {
  fc.assert(
    fc.property(fc.nat(10_000), fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000)), (size, a, b) => {
      const header = `bytes=${a ?? ''}-${b ?? ''}`;
      let r;
      try {
        r = parseRange(header, size);
      } catch (e) {
        assert.ok(e instanceof ErrRangeNotSatisfiable, String(e));
        return;
      }
      assert.ok(r, header);
      assert.ok(r.start >= 0 && r.start <= r.end && r.end < size, `${header} on ${size}: ${JSON.stringify(r)}`);
      if (a !== null) assert.equal(r.start, a);
      if (a === null && b !== null) assert.equal(r.end - r.start + 1, Math.min(b, size));
    }),
  );
});
