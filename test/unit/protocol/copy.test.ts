import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBckTo, parseTcbMsg } from '../../../protocol/copy.ts';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';

test('parseBckTo: AIS unames with and without the trailing slash, and ais://', () => {
  assert.deepEqual(parseBckTo('ais/@#/dst/'), { provider: 'ais', name: 'dst' });
  assert.deepEqual(parseBckTo('ais/@#/dst'), { provider: 'ais', name: 'dst' });
  assert.deepEqual(parseBckTo('ais://dst'), { provider: 'ais', name: 'dst' });
});

test('parseBckTo: missing, malformed, bad name or non-ais provider → ErrInvalidArgument', () => {
  for (const bad of [null, '', 'dst', 'ais/dst/', 'ais/@#/', 'ais/@#/a/b/', 'aws/@#/dst/', 'ais/@#/.hidden/']) {
    assert.throws(() => parseBckTo(bad), ErrInvalidArgument, String(bad));
  }
});

test('parseTcbMsg: keys case-insensitive, defaults, type errors', () => {
  assert.deepEqual(parseTcbMsg(undefined), { prefix: '', prepend: '', dryRun: false, force: false, numWorkers: 0 });
  assert.deepEqual(parseTcbMsg({ Prefix: 'a/', prepend: 'x-', DRY_RUN: true, 'num-workers': 4 }), {
    prefix: 'a/', prepend: 'x-', dryRun: true, force: false, numWorkers: 4,
  });
  assert.throws(() => parseTcbMsg({ prefix: 1 }), ErrInvalidArgument);
  assert.throws(() => parseTcbMsg({ dry_run: 'yes' }), ErrInvalidArgument);
  assert.throws(() => parseTcbMsg({ 'num-workers': -1 }), ErrInvalidArgument);
  assert.throws(() => parseTcbMsg([]), ErrInvalidArgument);
});
