import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hrw, type HrwCandidate } from '../../../../nodes/cluster/hrw.ts';

const NAMES_COUNT = 100_000;
const CANDIDATES_COUNT = 10;
/** Allowed deviation of a candidate's share from the mean. */
const SPREAD_TOLERANCE = 0.05;
/** Adding an 11th candidate should move ≈ 1/11 (9.09 %) of the names. */
const MOVED_FRACTION_MIN = 0.08;
const MOVED_FRACTION_MAX = 0.105;

interface Named extends HrwCandidate {
  readonly id: string;
}

function candidates(hrw: Hrw, ids: readonly string[]): Named[] {
  return ids.map((id) => ({ id, digest: hrw.digest(id) }));
}

function names(prefix: string): string[] {
  return Array.from({ length: NAMES_COUNT }, (_, i) => `${prefix}dir${i % 97}/obj-${i.toString(36)}.bin`);
}

function placeAll(hrw: Hrw, cands: readonly Named[], all: readonly string[]): string[] {
  return all.map((n) => hrw.select(cands, n)!.id);
}

function assertSpread(placed: readonly string[], ids: readonly string[]): void {
  const counts = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const id of placed) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, ids.length, 'only known candidates are chosen');
  const mean = placed.length / ids.length;
  for (const [id, c] of counts) {
    assert.ok(Math.abs(c - mean) <= mean * SPREAD_TOLERANCE, `${id} got ${c} names, mean ${mean} (±${SPREAD_TOLERANCE * 100} %)`);
  }
}

function assertMinimalMove(before: readonly string[], after: readonly string[], newId: string, candidatesAfter: number): void {
  let moved = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    moved++;
    assert.equal(after[i], newId, `name #${i} moved from ${before[i]} to ${after[i]}, not to the new candidate`);
  }
  const frac = moved / before.length;
  assert.ok(frac >= MOVED_FRACTION_MIN && frac <= MOVED_FRACTION_MAX, `moved fraction ${frac}, expected ≈ ${1 / candidatesAfter}`);
}

test('HRW over 10 targets spreads 100 000 names within ±5 % of the mean', async () => {
  const hrw = await Hrw.create();
  const ids = Array.from({ length: CANDIDATES_COUNT }, (_, i) => `t${10_000 + i * 7}`);
  assertSpread(placeAll(hrw, candidates(hrw, ids), names('ais/@#/bck/')), ids);
});

test('adding an 11th target moves ≈ 1/11 of the names, all of them to the new target', async () => {
  const hrw = await Hrw.create();
  const ids = Array.from({ length: CANDIDATES_COUNT }, (_, i) => `t${20_000 + i * 13}`);
  const all = names('ais/@#/data/');
  const before = placeAll(hrw, candidates(hrw, ids), all);
  const newId = 't29999';
  const after = placeAll(hrw, candidates(hrw, [...ids, newId]), all);
  assertMinimalMove(before, after, newId, CANDIDATES_COUNT + 1);
  assertSpread(after, [...ids, newId]);
});

test('HRW over mountpaths: even spread, and a new mountpath takes ≈ 1/11 with nothing else moving', async () => {
  const hrw = await Hrw.create();
  const paths = Array.from({ length: CANDIDATES_COUNT }, (_, i) => `/var/lib/shoal/t1/mp${i + 1}`);
  const all = names('ais/@#/imgs/');
  const before = placeAll(hrw, candidates(hrw, paths), all);
  assertSpread(before, paths);
  const newPath = '/var/lib/shoal/t1/mp11';
  const after = placeAll(hrw, candidates(hrw, [...paths, newPath]), all);
  assertMinimalMove(before, after, newPath, CANDIDATES_COUNT + 1);
});

test('select is deterministic, independent of candidate order, and undefined without candidates', async () => {
  const hrw = await Hrw.create();
  const cands = candidates(hrw, ['a', 'b', 'c', 'd', 'e']);
  const reversed = [...cands].reverse();
  for (let i = 0; i < 1000; i++) {
    const n = `obj-${i}`;
    assert.equal(hrw.select(cands, n)!.id, hrw.select(reversed, n)!.id);
  }
  assert.equal(hrw.digest('x'), hrw.digest('x'));
  assert.notEqual(hrw.digest('x'), hrw.digest('y'));
  assert.equal(hrw.select([], 'obj'), undefined);
});
