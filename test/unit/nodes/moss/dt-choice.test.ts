// The designated target: random without colocation, the HRW majority owner with coloc ≥ 1 (ties:
// lowest id, a stable choice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDt } from '../../../../nodes/proxy/moss.ts';
import { ErrNoTargets } from '../../../../protocol/errors.ts';
import type { Snode } from '../../../../protocol/smap.ts';

const t = (id: string) => ({ daemon_id: id }) as Snode;
const targets = [t('t3'), t('t1'), t('t2')];

test('coloc 0: the random pick decides', () => {
  assert.equal(chooseDt(targets, ['t1', 't1'], 0, () => 0).daemon_id, 't3');
  assert.equal(chooseDt(targets, ['t1', 't1'], 0, (n) => n - 1).daemon_id, 't2');
});

test('coloc 1 and 2: the target that owns the most items', () => {
  const owners = ['t2', 't3', 't2', 't1', 't2', 't3'];
  for (const coloc of [1, 2]) assert.equal(chooseDt(targets, owners, coloc, () => assert.fail('no randomness')).daemon_id, 't2');
  assert.equal(chooseDt(targets, ['t3', 't2', 't3', 't2'], 1, () => 0).daemon_id, 't2', 'tie: lowest id');
  assert.equal(chooseDt(targets, [], 1, () => 0).daemon_id, 't1', 'no items: lowest id');
});

test('no targets: ErrNoTargets', () => {
  assert.throws(() => chooseDt([], [], 0, () => 0), ErrNoTargets);
});
