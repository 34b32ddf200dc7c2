import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BCK, bodyOf, openFixture, PUT_DEFAULTS, readGot } from './storage-fixture.ts';

test('with versioning each overwrite increments the version', async () => {
  const fx = await openFixture();
  try {
    for (let v = 1; v <= 4; v++) {
      const meta = await fx.storage.put(BCK, 'o', bodyOf(`v${v}`), PUT_DEFAULTS);
      assert.equal(meta.version, String(v));
    }
    assert.equal(fx.storage.head(BCK, 'o')?.version, '4');
    assert.equal((await readGot((await fx.storage.get(BCK, 'o')))).toString(), 'v4');
    // Custom metadata updates do not make a new version.
    await fx.storage.setCustomMd(BCK, 'o', { a: 'b' }, false);
    assert.equal(fx.storage.head(BCK, 'o')?.version, '4');
    // After a delete the name starts over.
    await fx.storage.delete(BCK, 'o');
    assert.equal((await fx.storage.put(BCK, 'o', bodyOf('again'), PUT_DEFAULTS)).version, '1');
  } finally {
    await fx.cleanup();
  }
});

test('without versioning the version stays 1', async () => {
  const fx = await openFixture();
  try {
    for (let i = 0; i < 3; i++) {
      const meta = await fx.storage.put(BCK, 'o', bodyOf(`x${i}`), { ...PUT_DEFAULTS, versioning: false });
      assert.equal(meta.version, '1');
    }
    // Turning versioning on later continues from the stored version.
    assert.equal((await fx.storage.put(BCK, 'o', bodyOf('y'), PUT_DEFAULTS)).version, '2');
  } finally {
    await fx.cleanup();
  }
});
