import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncate, writeFile } from 'node:fs/promises';
import { ErrBadCksum } from '../../../../protocol/errors.ts';
import { cksumBuffer } from '../../../../runtime/cksum/cksum.ts';
import { BCK, bodyOf, openFixture, patternBytes, PUT_DEFAULTS, readAll, readGot, workFiles } from './storage-fixture.ts';

test('a PUT whose body does not match the client checksum fails and leaves nothing', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(300_000);
    const good = await cksumBuffer('xxhash2', data);
    const bad = good.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await assert.rejects(
      fx.storage.put(BCK, 'o', bodyOf(data), { ...PUT_DEFAULTS, expected: { type: 'xxhash2', value: bad } }),
      (e) => e instanceof ErrBadCksum && e.status === 400 && e.message === `BAD DATA CHECKSUM: xxhash2(${good} != ${bad})`,
    );
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    assert.equal(fx.storage.fqn(BCK, 'o'), undefined);
    assert.deepEqual(await workFiles(fx), []);

    // An overwrite that fails its checksum keeps the previous object intact.
    await fx.storage.put(BCK, 'o', bodyOf('v1'), PUT_DEFAULTS);
    await assert.rejects(fx.storage.put(BCK, 'o', bodyOf(data), { ...PUT_DEFAULTS, expected: { type: 'md5', value: 'ffff' } }), ErrBadCksum);
    assert.equal((await readGot((await fx.storage.get(BCK, 'o')))).toString(), 'v1');
    assert.equal(fx.storage.head(BCK, 'o')?.version, '1');
  } finally {
    await fx.cleanup();
  }
});

test('a client checksum of another type is verified; the bucket type is stored', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(70_000);
    const md5 = (await cksumBuffer('md5', data)).toUpperCase(); // hex case does not matter
    const meta = await fx.storage.put(BCK, 'o', bodyOf(data), { ...PUT_DEFAULTS, expected: { type: 'md5', value: md5 } });
    assert.equal(meta.cksumType, 'xxhash2');
    assert.equal(meta.cksumValue, await cksumBuffer('xxhash2', data));

    // A bucket without checksums keeps the verified client checksum.
    const none = await fx.storage.put(BCK, 'n', bodyOf(data), { ...PUT_DEFAULTS, cksumType: 'none', expected: { type: 'md5', value: md5 } });
    assert.deepEqual([none.cksumType, none.cksumValue], ['md5', md5.toLowerCase()]);
    const plain = await fx.storage.put(BCK, 'p', bodyOf(data), { ...PUT_DEFAULTS, cksumType: 'none' });
    assert.deepEqual([plain.cksumType, plain.cksumValue], ['none', '']);
    await fx.storage.validate(BCK, 'p');
  } finally {
    await fx.cleanup();
  }
});

test('validate finds bytes changed on disk; GET refuses a size change', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(10_000);
    for (const type of ['xxhash2', 'crc32c', 'sha256'] as const) {
      const name = `o-${type}`;
      await fx.storage.put(BCK, name, bodyOf(data), { ...PUT_DEFAULTS, cksumType: type });
      await fx.storage.validate(BCK, name);
      const flipped = Buffer.from(data);
      flipped[5_000] = flipped[5_000]! ^ 0xff;
      await writeFile(fx.storage.fqn(BCK, name)!, flipped); // same size, different bytes
      await assert.rejects(fx.storage.validate(BCK, name), (e) => e instanceof ErrBadCksum && e.message.startsWith(`BAD DATA CHECKSUM: ${type}(`));
    }
    await truncate(fx.storage.fqn(BCK, 'o-xxhash2')!, 100);
    await assert.rejects(fx.storage.get(BCK, 'o-xxhash2'), ErrBadCksum);
    await assert.rejects(fx.storage.validate(BCK, 'o-xxhash2'), ErrBadCksum);
  } finally {
    await fx.cleanup();
  }
});
