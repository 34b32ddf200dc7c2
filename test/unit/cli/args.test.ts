import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bckString, parseBck, parseBckObj, parseNonNegInt, parseObj, parseSize } from '../../../cli/args.ts';
import { ErrInvalidArgument, ErrInvalidBckName } from '../../../protocol/errors.ts';

test('bucket and object arguments accept ais://B, B, and nested object names', () => {
  assert.deepEqual(parseBckObj('ais://b1'), { bck: { name: 'b1', provider: 'ais' }, objName: '' });
  assert.deepEqual(parseBckObj('b1'), { bck: { name: 'b1', provider: 'ais' }, objName: '' });
  assert.deepEqual(parseBckObj('b1/'), { bck: { name: 'b1', provider: 'ais' }, objName: '' });
  assert.deepEqual(parseBckObj('ais://b1/a/b/c.txt'), { bck: { name: 'b1', provider: 'ais' }, objName: 'a/b/c.txt' });
  assert.deepEqual(parseBckObj('s3://data/x'), { bck: { name: 'data', provider: 'aws' }, objName: 'x' });
  assert.deepEqual(parseBckObj('b1/dir/'), { bck: { name: 'b1', provider: 'ais' }, objName: 'dir/' });
});

test('bad bucket arguments are usage errors', () => {
  assert.throws(() => parseBckObj('foo://b'), ErrInvalidArgument);
  assert.throws(() => parseBckObj('ais://'), ErrInvalidArgument);
  assert.throws(() => parseBckObj('ais:///obj'), ErrInvalidArgument);
  assert.throws(() => parseBckObj('bad name'), ErrInvalidBckName);
  assert.throws(() => parseBck('b/obj'), /expected a bucket/);
  assert.throws(() => parseObj('ais://b'), /missing object name/);
  assert.throws(() => parseObj('b/'), /missing object name/);
});

test('bucket prints as provider scheme and name', () => {
  assert.equal(bckString({ name: 'b', provider: 'ais' }), 'ais://b');
});

test('integers and sizes', () => {
  assert.equal(parseNonNegInt('0', 'n'), 0);
  assert.equal(parseNonNegInt('1000', 'n'), 1000);
  assert.throws(() => parseNonNegInt('-1', 'n'), ErrInvalidArgument);
  assert.throws(() => parseNonNegInt('1.5', 'n'), ErrInvalidArgument);
  assert.throws(() => parseNonNegInt('99999999999999999999', 'n'), /too large/);
  assert.equal(parseSize('4096', 's'), 4096);
  assert.equal(parseSize('4KiB', 's'), 4096);
  assert.equal(parseSize('2m', 's'), 2 * 1024 * 1024);
  assert.equal(parseSize('1GB', 's'), 1024 ** 3);
  assert.throws(() => parseSize('4XB', 's'), ErrInvalidArgument);
  assert.throws(() => parseSize('', 's'), ErrInvalidArgument);
});
