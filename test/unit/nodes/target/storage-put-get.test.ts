import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat, unlink, writeFile } from 'node:fs/promises';
import { ErrConflict, ErrInvalidObjName, ErrObjNotFound } from '../../../../protocol/errors.ts';
import { cksumBuffer } from '../../../../runtime/cksum/cksum.ts';
import { objPath } from '../../../../nodes/target/storage/layout.ts';
import { BCK, bodyOf, openFixture, openFixtureWithClock, patternBytes, PUT_DEFAULTS, readAll, readGot, workFiles } from './storage-fixture.ts';

test('PUT then HEAD and GET return the bytes and their metadata', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(1_000_003);
    const meta = await fx.storage.put(BCK, 'dir/sub/x.jpg', bodyOf(data, 16 * 1024), { ...PUT_DEFAULTS, customMd: { k: 'v' } });
    assert.equal(meta.size, data.length);
    assert.equal(meta.cksumType, 'xxhash2');
    assert.equal(meta.cksumValue, await cksumBuffer('xxhash2', data));
    assert.equal(meta.version, '1');
    assert.deepEqual(meta.customMd, { k: 'v' });
    assert.deepEqual(fx.storage.head(BCK, 'dir/sub/x.jpg'), meta);

    const got = await fx.storage.get(BCK, 'dir/sub/x.jpg');
    assert.equal(got.meta.cksumValue, meta.cksumValue);
    assert.deepEqual(await readGot(got), Buffer.from(data));

    // Open format: the object is a plain file at its layout path on exactly one mountpath.
    const fqn = fx.storage.fqn(BCK, 'dir/sub/x.jpg');
    assert.ok(fqn && fqn.endsWith('/@ais/b1/%ob/dir/sub/x.jpg'));
    assert.equal((await stat(fqn)).size, data.length);
    await fx.storage.validate(BCK, 'dir/sub/x.jpg');
  } finally {
    await fx.cleanup();
  }
});

test('empty object, missing object, delete', async () => {
  const fx = await openFixture();
  try {
    const meta = await fx.storage.put(BCK, 'empty', bodyOf(''), { ...PUT_DEFAULTS, contentLength: 0 });
    assert.equal(meta.size, 0);
    assert.equal(meta.cksumValue, 'ef46db3751d8e999');
    assert.equal((await readGot((await fx.storage.get(BCK, 'empty')))).length, 0);

    assert.equal(fx.storage.head(BCK, 'nope'), undefined);
    await assert.rejects(fx.storage.get(BCK, 'nope'), (e) => e instanceof ErrObjNotFound && e.status === 404);

    await fx.storage.delete(BCK, 'empty');
    assert.equal(fx.storage.head(BCK, 'empty'), undefined);
    await assert.rejects(fx.storage.get(BCK, 'empty'), ErrObjNotFound);
    await assert.rejects(fx.storage.delete(BCK, 'empty'), ErrObjNotFound);
  } finally {
    await fx.cleanup();
  }
});

test('a file/directory clash between names is a 409, and a freed directory name can be reused', async () => {
  const fx = await openFixture(1); // one mountpath: both names land on the same filesystem tree
  try {
    await fx.storage.put(BCK, 'a/b', bodyOf('ab'), PUT_DEFAULTS);
    await assert.rejects(fx.storage.put(BCK, 'a', bodyOf('a'), PUT_DEFAULTS), (e) => e instanceof ErrConflict && e.status === 409);
    await fx.storage.put(BCK, 'f', bodyOf('f'), PUT_DEFAULTS);
    await assert.rejects(fx.storage.put(BCK, 'f/g', bodyOf('fg'), PUT_DEFAULTS), (e) => e instanceof ErrConflict && e.status === 409);
    assert.equal(fx.storage.head(BCK, 'a'), undefined);
    assert.equal(fx.storage.head(BCK, 'f/g'), undefined);
    assert.equal((await readGot((await fx.storage.get(BCK, 'f')))).toString(), 'f');

    // Deleting a/b leaves an empty directory "a", which must not block a PUT of "a".
    await fx.storage.delete(BCK, 'a/b');
    await fx.storage.put(BCK, 'a', bodyOf('now a file'), PUT_DEFAULTS);
    assert.equal((await readGot((await fx.storage.get(BCK, 'a')))).toString(), 'now a file');
    assert.deepEqual(await workFiles(fx), []);

    // A clash only the filesystem knows about (orphan file under "c/"): still a 409, no crash.
    const orphan = objPath(fx.mountpaths[0]!, BCK, 'c/x');
    await fx.env.disk.mkdir(orphan.slice(0, orphan.lastIndexOf('/')));
    await writeFile(orphan, 'orphan');
    await assert.rejects(fx.storage.put(BCK, 'c', bodyOf('c'), PUT_DEFAULTS), (e) => e instanceof ErrConflict);
    assert.equal(fx.storage.head(BCK, 'c'), undefined);
    assert.deepEqual(await workFiles(fx), []);
  } finally {
    await fx.cleanup();
  }
});

test('the clash is found whichever mountpaths the two names land on', async () => {
  const fx = await openFixture(4);
  try {
    for (let i = 0; i < 8; i++) await fx.storage.put(BCK, `d${i}/leaf`, bodyOf('x'), PUT_DEFAULTS);
    for (let i = 0; i < 8; i++) {
      await assert.rejects(fx.storage.put(BCK, `d${i}`, bodyOf('x'), PUT_DEFAULTS), ErrConflict);
      await assert.rejects(fx.storage.put(BCK, `d${i}/leaf/deeper`, bodyOf('x'), PUT_DEFAULTS), ErrConflict);
    }
  } finally {
    await fx.cleanup();
  }
});

test('names that would escape the bucket are rejected with 400', async () => {
  const fx = await openFixture();
  try {
    for (const bad of ['../x', 'a/./b', '/abs', '']) {
      await assert.rejects(fx.storage.put(BCK, bad, bodyOf('x'), PUT_DEFAULTS), (e) => e instanceof ErrInvalidObjName && e.status === 400, bad);
    }
    await assert.rejects(fx.storage.put(BCK, 'x'.repeat(300), bodyOf('x'), PUT_DEFAULTS), (e) => e instanceof ErrInvalidObjName);
  } finally {
    await fx.cleanup();
  }
});

test('empty segments (S3 keys `a//b`, `dir/`) and `%%` segments are distinct objects', async () => {
  const fx = await openFixture();
  try {
    const names = ['e/b', 'e/', 'e/%%', 'e/%%x', 'e/%%%x', 'f/%%/g', 'f//g', 'h//'];
    for (const n of names) await fx.storage.put(BCK, n, bodyOf(`v:${n}`), PUT_DEFAULTS);
    for (const n of names) {
      const got = await fx.storage.get(BCK, n);
      assert.equal(Buffer.from(got.data!).toString(), `v:${n}`, n);
    }
    assert.equal(new Set(names.map((n) => fx.storage.fqn(BCK, n))).size, names.length, 'one file per name');
    // `e` is a directory of these, as `d/leaf` makes `d` one
    await assert.rejects(fx.storage.put(BCK, 'e', bodyOf('x'), PUT_DEFAULTS), ErrConflict);
    // `e/` is a file, so `e//b` cannot be stored under it (as `d` and `d/leaf`)
    await assert.rejects(fx.storage.put(BCK, 'e//b', bodyOf('x'), PUT_DEFAULTS), ErrConflict);
    await fx.storage.delete(BCK, 'e/');
    await assert.rejects(fx.storage.get(BCK, 'e/'), ErrObjNotFound);
    await fx.storage.put(BCK, 'e//b', bodyOf('v:e//b'), PUT_DEFAULTS);
    assert.equal(Buffer.from((await fx.storage.get(BCK, 'e//b')).data!).toString(), 'v:e//b');
  } finally {
    await fx.cleanup();
  }
});

test('index entry without its file: GET answers not found and drops the entry', async () => {
  const fx = await openFixture();
  try {
    await fx.storage.put(BCK, 'gone', bodyOf('x'), PUT_DEFAULTS);
    await unlink(fx.storage.fqn(BCK, 'gone')!);
    assert.ok(fx.storage.head(BCK, 'gone'));
    await assert.rejects(fx.storage.get(BCK, 'gone'), ErrObjNotFound);
    assert.equal(fx.storage.head(BCK, 'gone'), undefined);
  } finally {
    await fx.cleanup();
  }
});

test('custom metadata merges or replaces', async () => {
  const fx = await openFixture();
  try {
    await fx.storage.put(BCK, 'o', bodyOf('x'), { ...PUT_DEFAULTS, customMd: { a: '1', b: '2' } });
    assert.deepEqual((await fx.storage.setCustomMd(BCK, 'o', { b: '3', c: '4' }, false)).customMd, { a: '1', b: '3', c: '4' });
    assert.deepEqual((await fx.storage.setCustomMd(BCK, 'o', { z: '9' }, true)).customMd, { z: '9' });
    assert.deepEqual(fx.storage.head(BCK, 'o')?.customMd, { z: '9' });
    await assert.rejects(fx.storage.setCustomMd(BCK, 'missing', { a: '1' }, false), ErrObjNotFound);
  } finally {
    await fx.cleanup();
  }
});

test('concurrent PUTs of one name serialize: bytes and metadata always agree', async () => {
  const fx = await openFixture();
  try {
    const N = 12;
    const bodies = Array.from({ length: N }, (_, i) => patternBytes(50_000 + i * 1000, i));
    const metas = await Promise.all(bodies.map((b) => fx.storage.put(BCK, 'hot', bodyOf(b, 4096), PUT_DEFAULTS)));
    assert.deepEqual(metas.map((m) => Number(m.version)).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i + 1));
    const head = fx.storage.head(BCK, 'hot')!;
    assert.equal(head.version, String(N));
    const bytes = await readGot((await fx.storage.get(BCK, 'hot')));
    assert.equal(bytes.length, head.size);
    assert.equal(await cksumBuffer('xxhash2', bytes), head.cksumValue);
  } finally {
    await fx.cleanup();
  }
});

test('GET records atime lazily; flush persists it', async () => {
  const { fx, now } = await openFixtureWithClock();
  try {
    const put = await fx.storage.put(BCK, 'o', bodyOf('x'), PUT_DEFAULTS);
    assert.equal(put.atimeNs, String(BigInt(now.ms) * 1_000_000n));
    now.ms += 5_000;
    await readGot((await fx.storage.get(BCK, 'o')));
    const want = String(BigInt(now.ms) * 1_000_000n);
    assert.equal(fx.storage.head(BCK, 'o')?.atimeNs, want);
    assert.equal(fx.storage.list(BCK, { limit: 10 })[0]?.meta.atimeNs, want);
    await fx.reopen();
    assert.equal(fx.storage.head(BCK, 'o')?.atimeNs, want);
  } finally {
    await fx.cleanup();
  }
});

test('an orphan file left by a crash between rename and index write is overwritten by the next PUT', async () => {
  const fx = await openFixture(1);
  try {
    const path = objPath(fx.mountpaths[0]!, BCK, 'orphan');
    await fx.env.disk.mkdir(path.slice(0, path.lastIndexOf('/')));
    await writeFile(path, 'stale bytes');
    assert.equal(fx.storage.head(BCK, 'orphan'), undefined);
    await fx.storage.put(BCK, 'orphan', bodyOf('fresh'), PUT_DEFAULTS);
    assert.equal((await readGot((await fx.storage.get(BCK, 'orphan')))).toString(), 'fresh');
  } finally {
    await fx.cleanup();
  }
});
