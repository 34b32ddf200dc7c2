import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrIncompleteBody, ErrInvalidArgument } from '../../../../protocol/errors.ts';
import { BCK, bodyOf, openFixture, patternBytes, PUT_DEFAULTS, workFiles } from './storage-fixture.ts';

test('a body shorter than its content length is ErrIncompleteBody (400) and stores nothing', async () => {
  const fx = await openFixture();
  try {
    await assert.rejects(
      fx.storage.put(BCK, 'o', bodyOf(patternBytes(500)), { ...PUT_DEFAULTS, contentLength: 1000 }),
      (e) => e instanceof ErrIncompleteBody && e.status === 400 && /500 of 1000/.test(e.message),
    );
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});

test('a body longer than its content length is rejected; an exact one is stored', async () => {
  const fx = await openFixture();
  try {
    await assert.rejects(fx.storage.put(BCK, 'o', bodyOf(patternBytes(1001)), { ...PUT_DEFAULTS, contentLength: 1000 }), ErrInvalidArgument);
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    const meta = await fx.storage.put(BCK, 'o', bodyOf(patternBytes(1000)), { ...PUT_DEFAULTS, contentLength: 1000 });
    assert.equal(meta.size, 1000);
    await assert.rejects(fx.storage.put(BCK, 'p', bodyOf('x'), { ...PUT_DEFAULTS, contentLength: -1 }), ErrInvalidArgument);
  } finally {
    await fx.cleanup();
  }
});
