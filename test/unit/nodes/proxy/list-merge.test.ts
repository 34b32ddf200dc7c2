import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePages } from '../../../../nodes/proxy/list.ts';
import type { LsoPageEntry } from '../../../../protocol/intra.ts';

const IS_DIR = 256;
const ent = (n: string, s?: number): LsoPageEntry => (s === undefined ? { n } : { n, s });
const dir = (n: string): LsoPageEntry => ({ n, f: IS_DIR });
const names = (es: LsoPageEntry[]) => es.map((e) => e.n);

test('k-way merge of sorted pages keeps global order and every entry', () => {
  const a = [ent('a', 1), ent('d', 4), ent('g', 7)];
  const b = [ent('b', 2), ent('e', 5)];
  const c = [ent('c', 3), ent('f', 6), ent('h', 8), ent('i', 9)];
  const r = mergePages([a, b, c], 100);
  assert.deepEqual(names(r.entries), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
  assert.deepEqual(r.entries.map((e) => e.s), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(r.cut, false);
});

test('a virtual dir reported by several targets appears once', () => {
  const t1 = [dir('dir0/'), dir('dir1/'), ent('top-a')];
  const t2 = [dir('dir0/'), dir('dir2/'), ent('top-b')];
  const t3 = [dir('dir0/'), dir('dir1/'), dir('dir2/')];
  const r = mergePages([t1, t2, t3], 100);
  assert.deepEqual(names(r.entries), ['dir0/', 'dir1/', 'dir2/', 'top-a', 'top-b']);
  assert.equal(r.entries.filter((e) => e.f === IS_DIR).length, 3);
  assert.equal(r.cut, false);
});

test('the limit cuts the page and reports it; duplicates do not count toward the limit', () => {
  const t1 = [dir('d/'), ent('x1'), ent('x3'), ent('x5')];
  const t2 = [dir('d/'), ent('x2'), ent('x4')];
  const r = mergePages([t1, t2], 3);
  assert.deepEqual(names(r.entries), ['d/', 'x1', 'x2']);
  assert.equal(r.cut, true);
});

test('exactly `limit` entries in total is not a cut; a duplicate after the limit is not a cut either', () => {
  const r = mergePages([[ent('a'), ent('c')], [ent('b')]], 3);
  assert.deepEqual(names(r.entries), ['a', 'b', 'c']);
  assert.equal(r.cut, false);
  const d = mergePages([[ent('a'), dir('z/')], [dir('z/')]], 2);
  assert.deepEqual(names(d.entries), ['a', 'z/']);
  assert.equal(d.cut, false);
});

test('empty pages and no pages give an empty, uncut result', () => {
  assert.deepEqual(mergePages([], 10), { entries: [], cut: false });
  assert.deepEqual(mergePages([[], [], []], 10), { entries: [], cut: false });
  const r = mergePages([[], [ent('only')], []], 10);
  assert.deepEqual(names(r.entries), ['only']);
});
