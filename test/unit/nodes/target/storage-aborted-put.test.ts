import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { BCK, bodyOf, openFixture, patternBytes, PUT_DEFAULTS, readAll, readGot, workFiles } from './storage-fixture.ts';

/** A body that sends `chunks` chunks of 64 KiB and then fails, as a client that goes away. */
function failingBody(chunks: number, err: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent < chunks) {
        sent++;
        this.push(Buffer.from(patternBytes(64 * 1024, sent)));
      } else {
        this.destroy(err);
      }
    },
  });
}

test('a body that errors half-way leaves no object and no work file', async () => {
  const fx = await openFixture();
  try {
    const err = new Error('client went away');
    // 20 chunks = 1.25 MiB: several coalesced writes reach the work file before the failure.
    await assert.rejects(fx.storage.put(BCK, 'dir/o', failingBody(20, err), PUT_DEFAULTS), (e) => e === err);
    assert.equal(fx.storage.head(BCK, 'dir/o'), undefined);
    assert.deepEqual(fx.storage.listNames(BCK, { limit: 10 }), []);
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});

test('an aborted overwrite keeps the previous object', async () => {
  const fx = await openFixture();
  try {
    await fx.storage.put(BCK, 'o', bodyOf('previous'), PUT_DEFAULTS);
    await assert.rejects(fx.storage.put(BCK, 'o', failingBody(3, new Error('reset')), PUT_DEFAULTS), /reset/);
    assert.equal((await readGot((await fx.storage.get(BCK, 'o')))).toString(), 'previous');
    assert.equal(fx.storage.head(BCK, 'o')?.version, '1');
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});

test('a body destroyed without an error (premature close) is an error too', async () => {
  const fx = await openFixture();
  try {
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent++ < 2) this.push(Buffer.alloc(1000, 1));
        else this.destroy();
      },
    });
    await assert.rejects(fx.storage.put(BCK, 'o', body, PUT_DEFAULTS));
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});
