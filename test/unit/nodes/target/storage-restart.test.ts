import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { workDir } from '../../../../nodes/target/storage/layout.ts';
import { BCK, bodyOf, openFixture, patternBytes, PUT_DEFAULTS, readAll, readGot, workFiles } from './storage-fixture.ts';

test('close and reopen: objects and metadata survive; leaked work files are removed', async () => {
  const fx = await openFixture();
  try {
    const names = Array.from({ length: 50 }, (_, i) => `dir${i % 5}/obj-${i}`);
    const metas = new Map<string, Awaited<ReturnType<typeof fx.storage.put>>>();
    for (const [i, n] of names.entries()) {
      metas.set(n, await fx.storage.put(BCK, n, bodyOf(patternBytes(1000 + i, i)), { ...PUT_DEFAULTS, customMd: { i: String(i) } }));
    }
    await fx.storage.put(BCK, names[0]!, bodyOf(patternBytes(7, 7)), PUT_DEFAULTS); // version 2
    metas.set(names[0]!, fx.storage.head(BCK, names[0]!)!);
    const md = await fx.storage.setCustomMd(BCK, names[1]!, { extra: 'yes' }, false);
    metas.set(names[1]!, md);

    // What a crash mid-PUT leaves behind: work files in %wk on both mountpaths, in two buckets.
    const other = { provider: 'ais', name: 'other' };
    await fx.storage.createBucket(BCK);
    await fx.storage.createBucket(other);
    for (const mp of fx.mountpaths) {
      await writeFile(`${workDir(mp, BCK)}/leaked-1`, 'partial');
      await writeFile(`${workDir(mp, other)}/leaked-2`, 'partial');
    }

    const s = await fx.reopen();
    assert.deepEqual(await workFiles(fx), []);
    assert.deepEqual(await workFiles(fx, other), []);
    for (const [i, n] of names.entries()) {
      assert.deepEqual(s.head(BCK, n), metas.get(n), n);
      const bytes = await readGot(await s.get(BCK, n));
      assert.equal(bytes.length, metas.get(n)!.size);
      if (i > 0) assert.deepEqual(bytes, Buffer.from(patternBytes(1000 + i, i)));
    }
    assert.equal(s.head(BCK, names[0]!)?.version, '2');
    assert.deepEqual(s.head(BCK, names[1]!)?.customMd, { i: '1', extra: 'yes' });
    assert.deepEqual(s.listNames(BCK, { limit: 1000 }), [...names].sort());
  } finally {
    await fx.cleanup();
  }
});

test('destroyBucket removes files and index entries; other buckets stay', async () => {
  const fx = await openFixture();
  try {
    const b2 = { provider: 'ais', name: 'b1x' }; // shares a name prefix with b1
    for (let i = 0; i < 30; i++) {
      await fx.storage.put(BCK, `o${i}`, bodyOf('x'), PUT_DEFAULTS);
      await fx.storage.put(b2, `o${i}`, bodyOf('y'), PUT_DEFAULTS);
    }
    await fx.storage.destroyBucket(BCK);
    assert.deepEqual(fx.storage.listNames(BCK, { limit: 100 }), []);
    assert.equal(fx.storage.head(BCK, 'o1'), undefined);
    assert.equal(fx.storage.listNames(b2, { limit: 100 }).length, 30);
    for (const mp of fx.mountpaths) assert.equal((await readdir(`${mp}/@ais`)).includes('b1'), false);
    const s = await fx.reopen();
    assert.deepEqual(s.listNames(BCK, { limit: 100 }), []);
    assert.equal(s.listNames(b2, { limit: 100 }).length, 30);
  } finally {
    await fx.cleanup();
  }
});
