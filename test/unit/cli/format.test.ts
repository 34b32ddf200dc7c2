import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSize, formatUnixNs, renderTable } from '../../../cli/format.ts';

test('sizes print as ais ToSizeIEC(b, 2)', () => {
  assert.equal(formatSize(0), '0B');
  assert.equal(formatSize(1023), '1023B');
  assert.equal(formatSize(1024), '1.00KiB');
  assert.equal(formatSize('1536'), '1.50KiB');
  assert.equal(formatSize(5 * 1024 * 1024), '5.00MiB');
  assert.equal(formatSize(3n * 1024n ** 4n), '3.00TiB');
  assert.equal(formatSize(2n ** 62n), '4.00EiB');
});

test('tables pad columns to the widest cell and trim line ends', () => {
  const out = renderTable(['NAME', 'SIZE'], [
    ['a', '1B'],
    ['longer-name', ''],
  ]);
  assert.equal(out, 'NAME         SIZE\na            1B\nlonger-name\n');
  assert.equal(renderTable(['A'], []), 'A\n');
});

test('unix ns print as RFC822 in UTC', () => {
  assert.equal(formatUnixNs('1700000000000000000'), '14 Nov 23 22:13 UTC');
  assert.equal(formatUnixNs('not-a-number'), 'not-a-number');
});
