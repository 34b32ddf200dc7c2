import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrBadCksum, ErrIncompleteBody, ErrInvalidArgument } from '../../../../protocol/errors.ts';
import { cksumBuffer } from '../../../../runtime/cksum/cksum.ts';
import { BCK, bodyOf, openFixture, patternBytes, PUT_DEFAULTS, readGot, workFiles } from './storage-fixture.ts';

test('putBytes stores the buffer like a streamed PUT (bytes, checksum, version, custom md)', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(100_000, 3);
    const meta = await fx.storage.putBytes(BCK, 'dir/a', data, { ...PUT_DEFAULTS, customMd: { k: 'v' }, contentLength: data.byteLength });
    assert.equal(meta.size, data.byteLength);
    assert.equal(meta.cksumValue, await cksumBuffer('xxhash2', data));
    assert.equal(meta.version, '1');
    assert.deepEqual(meta.customMd, { k: 'v' });
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'dir/a')), Buffer.from(data));
    // Same metadata as the streaming path for the same bytes.
    const streamed = await fx.storage.put(BCK, 'dir/b', bodyOf(data, 7_000), PUT_DEFAULTS);
    assert.equal(streamed.cksumValue, meta.cksumValue);
    // Overwrite bumps the version; an empty body is an object too.
    assert.equal((await fx.storage.putBytes(BCK, 'dir/a', new Uint8Array(0), PUT_DEFAULTS)).version, '2');
    assert.equal(fx.storage.head(BCK, 'dir/a')?.size, 0);
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});

test('putBytes verifies the expected checksum and stores nothing on a mismatch', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(5_000);
    const good = await cksumBuffer('xxhash2', data);
    const bad = good.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await assert.rejects(
      fx.storage.putBytes(BCK, 'o', data, { ...PUT_DEFAULTS, expected: { type: 'xxhash2', value: bad } }),
      (e) => e instanceof ErrBadCksum && e.message === `BAD DATA CHECKSUM: xxhash2(${good} != ${bad})`,
    );
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    assert.deepEqual(await workFiles(fx), []);

    await fx.storage.putBytes(BCK, 'o', Buffer.from('v1'), PUT_DEFAULTS);
    await assert.rejects(fx.storage.putBytes(BCK, 'o', data, { ...PUT_DEFAULTS, expected: { type: 'md5', value: 'ffff' } }), ErrBadCksum);
    assert.equal((await readGot(await fx.storage.get(BCK, 'o'))).toString(), 'v1');

    // Another type than the bucket's is verified; the bucket's type is stored.
    const md5 = await cksumBuffer('md5', data);
    const meta = await fx.storage.putBytes(BCK, 'p', data, { ...PUT_DEFAULTS, expected: { type: 'md5', value: md5.toUpperCase() } });
    assert.equal(meta.cksumType, 'xxhash2');
    assert.equal(meta.cksumValue, good);
    // A bucket without checksums keeps the verified one.
    const none = await fx.storage.putBytes(BCK, 'q', data, { ...PUT_DEFAULTS, cksumType: 'none', expected: { type: 'md5', value: md5 } });
    assert.deepEqual([none.cksumType, none.cksumValue], ['md5', md5]);
  } finally {
    await fx.cleanup();
  }
});

test('putBytes rejects a buffer that does not match its content length', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(1_000);
    await assert.rejects(fx.storage.putBytes(BCK, 'o', data, { ...PUT_DEFAULTS, contentLength: 1_001 }), ErrIncompleteBody);
    await assert.rejects(fx.storage.putBytes(BCK, 'o', data, { ...PUT_DEFAULTS, contentLength: 999 }), ErrInvalidArgument);
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});
