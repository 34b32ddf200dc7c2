import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPropsValue, filterSection, flattenProps, parsePropPairs, typeValue } from '../../../cli/props.ts';
import { defaultBprops } from '../../../protocol/bmd.ts';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';

test('k=v pairs become the nested set-bprops value, typed', () => {
  const value = buildPropsValue(parsePropPairs(['checksum.type=md5', 'checksum.validate_warm_get=true', 'mirror.copies=3', 'mirror.enabled=false', 'lru.dont_evict_time=2h']));
  assert.deepEqual(value, {
    checksum: { type: 'md5', validate_warm_get: true },
    mirror: { copies: 3, enabled: false },
    lru: { dont_evict_time: '2h' },
  });
});

test('digits stay strings where the Bprops field is not a number', () => {
  assert.equal(typeValue('access', '262143'), '262143');
  assert.equal(typeValue('features', '0'), '0');
  assert.equal(typeValue('mirror.copies', '2'), 2);
  assert.equal(typeValue('ec.data_slices', 'x'), 'x');
});

test('`k v` pairs (no =) are accepted, as ais does', () => {
  assert.deepEqual(parsePropPairs(['checksum.type', 'md5', 'versioning.enabled', 'false']), [
    ['checksum.type', 'md5'],
    ['versioning.enabled', 'false'],
  ]);
  assert.throws(() => parsePropPairs(['checksum.type']), /odd number/);
});

test('bad property arguments are usage errors', () => {
  assert.throws(() => parsePropPairs([]), ErrInvalidArgument);
  assert.throws(() => parsePropPairs(['=md5', 'a=b']), ErrInvalidArgument);
  assert.throws(() => parsePropPairs(['check sum=md5']), /invalid property name/);
  assert.throws(() => buildPropsValue([['mirror', 'x'], ['mirror.copies', '2']]), /conflicts/);
  assert.throws(() => buildPropsValue([['mirror.copies', '2'], ['mirror', 'x']]), /section/);
});

test('Bprops flatten to sorted dotted rows; a section filters them', () => {
  const rows = flattenProps(defaultBprops('ais', 1n, 2n));
  assert.ok(rows.some(([k, v]) => k === 'checksum.type' && v === 'xxhash2'));
  assert.ok(rows.some(([k, v]) => k === 'versioning.enabled' && v === 'true'));
  assert.ok(rows.some(([k, v]) => k === 'extra' && v === '-'));
  const keys = rows.map(([k]) => k);
  assert.deepEqual(keys, [...keys].sort());
  const cksum = filterSection(rows, 'checksum');
  assert.ok(cksum.length === 5 && cksum.every(([k]) => k.startsWith('checksum.')));
  assert.equal(filterSection(rows, undefined).length, rows.length);
  assert.deepEqual(filterSection(rows, 'checksum.type'), [['checksum.type', 'xxhash2']]);
});
