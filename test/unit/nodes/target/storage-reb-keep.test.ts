// Rebalance receive rules at the storage level: a moved object keeps its identity, never replaces a
// newer local copy, and never brings back a name deleted after it was written (tombstone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BCK, bodyOf, openFixture, PUT_DEFAULTS, readGot, workFiles } from './storage-fixture.ts';

const keep = (mtimeMs: number, version = '7') => ({ version, mtimeMs, atimeNs: '123' });

test('a moved object is stored with its own version, mtime and atime', async () => {
  const fx = await openFixture();
  try {
    const meta = await fx.storage.put(BCK, 'o', bodyOf('moved'), { ...PUT_DEFAULTS, keep: keep(1_000) });
    assert.deepEqual([meta.version, meta.mtimeMs, meta.atimeNs], ['7', 1_000, '123']);
    assert.equal(fx.storage.head(BCK, 'o')?.version, '7');
  } finally {
    await fx.cleanup();
  }
});

test('an older moved copy does not replace a newer local one; a newer one does', async () => {
  const fx = await openFixture();
  try {
    const local = await fx.storage.put(BCK, 'o', bodyOf('local'), PUT_DEFAULTS);
    const kept = await fx.storage.put(BCK, 'o', bodyOf('older'), { ...PUT_DEFAULTS, keep: keep(local.mtimeMs - 1) });
    assert.equal(kept.mtimeMs, local.mtimeMs);
    assert.equal((await readGot(await fx.storage.get(BCK, 'o'))).toString(), 'local');
    // an equal mtime is a tie: what is here stays
    await fx.storage.put(BCK, 'o', bodyOf('same'), { ...PUT_DEFAULTS, keep: keep(local.mtimeMs) });
    assert.equal((await readGot(await fx.storage.get(BCK, 'o'))).toString(), 'local');
    await fx.storage.put(BCK, 'o', bodyOf('newer'), { ...PUT_DEFAULTS, keep: keep(local.mtimeMs + 1) });
    assert.equal((await readGot(await fx.storage.get(BCK, 'o'))).toString(), 'newer');
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});

test('a tombstone drops moved copies written before the delete, not after', async () => {
  const fx = await openFixture();
  try {
    fx.storage.tombstone(BCK, 'gone', 5_000);
    assert.equal(fx.storage.tombstoned(BCK, 'gone'), true);
    await fx.storage.put(BCK, 'gone', bodyOf('stale'), { ...PUT_DEFAULTS, keep: keep(4_999) });
    assert.equal(fx.storage.head(BCK, 'gone'), undefined);
    await fx.storage.put(BCK, 'gone', bodyOf('fresh'), { ...PUT_DEFAULTS, keep: keep(5_001) });
    assert.equal((await readGot(await fx.storage.get(BCK, 'gone'))).toString(), 'fresh');
    fx.storage.clearTombstones();
    assert.equal(fx.storage.tombstoned(BCK, 'gone'), false);
  } finally {
    await fx.cleanup();
  }
});

test('deleteIf deletes only when the predicate holds', async () => {
  const fx = await openFixture();
  try {
    const m = await fx.storage.put(BCK, 'o', bodyOf('x'), PUT_DEFAULTS);
    assert.equal(await fx.storage.deleteIf(BCK, 'o', (cur) => cur.mtimeMs !== m.mtimeMs), false);
    assert.notEqual(fx.storage.head(BCK, 'o'), undefined);
    assert.equal(await fx.storage.deleteIf(BCK, 'o', (cur) => cur.mtimeMs === m.mtimeMs), true);
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    assert.equal(await fx.storage.deleteIf(BCK, 'o', () => true), false);
  } finally {
    await fx.cleanup();
  }
});
