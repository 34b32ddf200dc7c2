// Storage.read (one metadata lookup, then the bytes a pick asks for) and the single lookup of a GET.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { truncate, unlink, writeFile } from 'node:fs/promises';
import { ErrBadCksum, ErrObjNotFound, ErrRangeNotSatisfiable } from '../../../../protocol/errors.ts';
import { SMALL_READ_BYTES_MAX, type ByteRange } from '../../../../nodes/target/storage/get.ts';
import type { ObjMeta } from '../../../../nodes/target/storage/lom.ts';
import type { KvIndex } from '../../../../runtime/env/types.ts';
import { BCK, bodyOf, openFixture, openFixtureWithClock, patternBytes, PUT_DEFAULTS, readGot, type Fixture } from './storage-fixture.ts';

const DONE = { versioning: true, writePolicy: 'immediate' } as const;
const PART = { writePolicy: 'immediate' } as const;
const MIB = 1024 * 1024;

/** Reopens the fixture's storage with every index get and file read counted. */
async function counting(fx: Fixture): Promise<{ gets: number; reads: number }> {
  const n = { gets: 0, reads: 0 };
  const disk = fx.env.disk;
  const openIndex = disk.openIndex.bind(disk);
  disk.openIndex = async (dir: string): Promise<KvIndex> => {
    const idx = await openIndex(dir);
    const get = idx.get.bind(idx);
    idx.get = (key: string) => {
      n.gets++;
      return get(key);
    };
    return idx;
  };
  const readRange = disk.readRange.bind(disk);
  disk.readRange = (path, start, length) => {
    n.reads++;
    return readRange(path, start, length);
  };
  await fx.reopen();
  return n;
}

test('a small GET (whole or range) and a small read do one index lookup and one file read', async () => {
  const fx = await openFixture(4); // several mountpaths: the object is found on its HRW one first
  try {
    const n = await counting(fx);
    const data = patternBytes(10 * 1024);
    for (let i = 0; i < 20; i++) await fx.storage.putBytes(BCK, `o${i}`, data, PUT_DEFAULTS);
    for (let i = 0; i < 20; i++) {
      n.gets = 0;
      n.reads = 0;
      assert.deepEqual(Buffer.from((await fx.storage.get(BCK, `o${i}`)).data!), Buffer.from(data));
      assert.deepEqual(n, { gets: 1, reads: 1 });
      n.gets = 0;
      n.reads = 0;
      assert.deepEqual(Buffer.from((await fx.storage.get(BCK, `o${i}`, { start: 10, end: 19 })).data!), Buffer.from(data.subarray(10, 20)));
      assert.deepEqual(n, { gets: 1, reads: 1 });
      n.gets = 0;
      n.reads = 0;
      assert.equal((await fx.storage.read(BCK, `o${i}`, () => undefined)).data!.byteLength, data.length);
      assert.deepEqual(n, { gets: 1, reads: 1 });
    }
  } finally {
    await fx.cleanup();
  }
});

test('read: the pick sees the metadata and chooses whole, range or nothing', async () => {
  const fx = await openFixture();
  try {
    const data = patternBytes(5000, 3);
    const put = await fx.storage.putBytes(BCK, 'dir/o', data, { ...PUT_DEFAULTS, customMd: { k: 'v' } });
    let seen: ObjMeta | undefined;
    const whole = await fx.storage.read(BCK, 'dir/o', (m) => {
      seen = m;
      return undefined;
    });
    assert.deepEqual(seen, put);
    assert.deepEqual(whole.meta, put);
    assert.equal(whole.range, undefined);
    assert.deepEqual(Buffer.from(whole.data!), Buffer.from(data));

    const part = await fx.storage.read(BCK, 'dir/o', (m) => ({ start: 100, end: m.size - 1 }));
    assert.deepEqual(part.range, { start: 100, end: 4999 });
    assert.deepEqual(Buffer.from(part.data!), Buffer.from(data.subarray(100)));

    const last = await fx.storage.read(BCK, 'dir/o', () => ({ start: 4999, end: 4999 }));
    assert.deepEqual(Buffer.from(last.data!), Buffer.from(data.subarray(4999)));

    const none = await fx.storage.read(BCK, 'dir/o', () => null);
    assert.equal(none.data!.byteLength, 0);
    assert.equal(none.stream, undefined);
    assert.equal(none.range, undefined);
    assert.deepEqual({ ...none.meta, atimeNs: put.atimeNs }, put); // atime: the earlier reads

    const empty = await fx.storage.putBytes(BCK, 'empty', new Uint8Array(0), PUT_DEFAULTS);
    const e = await fx.storage.read(BCK, 'empty', () => undefined);
    assert.equal(e.data!.byteLength, 0);
    assert.equal(e.meta.size, empty.size);
  } finally {
    await fx.cleanup();
  }
});

test('read: a missing object is 404 without calling the pick; a bad range is 416', async () => {
  const fx = await openFixture();
  try {
    let called = 0;
    await assert.rejects(
      fx.storage.read(BCK, 'nope', () => {
        called++;
        return undefined;
      }),
      (e) => e instanceof ErrObjNotFound && e.status === 404 && /nope/.test(e.message),
    );
    assert.equal(called, 0);
    await fx.storage.putBytes(BCK, 'o', patternBytes(100), PUT_DEFAULTS);
    const bad: ByteRange[] = [{ start: 100, end: 100 }, { start: 5, end: 4 }, { start: -1, end: 3 }, { start: 0.5, end: 3 }];
    for (const r of bad) {
      await assert.rejects(
        fx.storage.read(BCK, 'o', () => r),
        (e) => e instanceof ErrRangeNotSatisfiable && e.status === 416 && e.message === `range ${r.start}-${r.end} is not satisfiable for "o" of 100 bytes`,
      );
    }
    // the end past the object is clamped, as for GET
    const got = await fx.storage.read(BCK, 'o', () => ({ start: 90, end: 1000 }));
    assert.deepEqual(got.range, { start: 90, end: 99 });
    assert.equal(got.data!.byteLength, 10);
    // a pick that throws: its error, unchanged
    await assert.rejects(
      fx.storage.read(BCK, 'o', () => {
        throw new ErrRangeNotSatisfiable('from the pick');
      }),
      (e) => e instanceof ErrRangeNotSatisfiable && e.message === 'from the pick',
    );
  } finally {
    await fx.cleanup();
  }
});

test('read: reads above SMALL_READ_BYTES_MAX and chunked objects are streamed', async () => {
  const fx = await openFixture();
  try {
    const big = patternBytes(SMALL_READ_BYTES_MAX + 10, 5);
    await fx.storage.put(BCK, 'big', bodyOf(big), PUT_DEFAULTS);
    const whole = await fx.storage.read(BCK, 'big', () => undefined);
    assert.equal(whole.data, undefined);
    assert.deepEqual(await readGot(whole), Buffer.from(big));
    const small = await fx.storage.read(BCK, 'big', () => ({ start: 7, end: 1006 }));
    assert.ok(small.data);
    assert.deepEqual(Buffer.from(small.data), Buffer.from(big.subarray(7, 1007)));

    const id = await fx.storage.mptCreate(BCK, 'mpt', {});
    const parts = [patternBytes(5 * MIB, 1), patternBytes(1000, 2)];
    const etags: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = await fx.storage.mptPutPart(BCK, 'mpt', id, i + 1, bodyOf(parts[i]!), { ...PART, contentLength: parts[i]!.length });
      etags.push(`"${p.md5}"`);
    }
    await fx.storage.mptComplete(BCK, 'mpt', id, etags.map((etag, i) => ({ num: i + 1, etag })), DONE);
    const all = Buffer.concat(parts);
    const c = await fx.storage.read(BCK, 'mpt', () => ({ start: 5 * MIB - 10, end: 5 * MIB + 9 }));
    assert.ok(c.stream);
    assert.deepEqual(c.range, { start: 5 * MIB - 10, end: 5 * MIB + 9 });
    assert.deepEqual(await readGot(c), all.subarray(5 * MIB - 10, 5 * MIB + 10));
    assert.deepEqual(await readGot(await fx.storage.read(BCK, 'mpt', () => undefined)), all);
    assert.equal((await fx.storage.read(BCK, 'mpt', () => null)).data!.byteLength, 0);
  } finally {
    await fx.cleanup();
  }
});

test('read: a file that changed size or vanished under the metadata goes to the checked path', async () => {
  const fx = await openFixture();
  try {
    await fx.storage.putBytes(BCK, 'grown', patternBytes(100), PUT_DEFAULTS);
    await writeFile(fx.storage.fqn(BCK, 'grown')!, patternBytes(150));
    await assert.rejects(fx.storage.read(BCK, 'grown', () => undefined), (e) => e instanceof ErrBadCksum && e.status === 400 && e.message === 'BAD DATA: "grown" has 150 bytes on disk, 100 in its metadata');

    await fx.storage.putBytes(BCK, 'shrunk', patternBytes(100), PUT_DEFAULTS);
    await truncate(fx.storage.fqn(BCK, 'shrunk')!, 50);
    await assert.rejects(fx.storage.read(BCK, 'shrunk', () => ({ start: 40, end: 59 })), (e) => e instanceof ErrBadCksum && e.status === 400 && e.message === 'BAD DATA: "shrunk" has 50 bytes on disk, 100 in its metadata');

    await fx.storage.putBytes(BCK, 'gone', patternBytes(100), PUT_DEFAULTS);
    await unlink(fx.storage.fqn(BCK, 'gone')!);
    await assert.rejects(fx.storage.read(BCK, 'gone', () => undefined), ErrObjNotFound);
    assert.equal(fx.storage.head(BCK, 'gone'), undefined);
  } finally {
    await fx.cleanup();
  }
});

test('read records the access (atime), also when no bytes are picked', async () => {
  const { fx, now } = await openFixtureWithClock();
  try {
    const put = await fx.storage.putBytes(BCK, 'o', patternBytes(10), PUT_DEFAULTS);
    now.ms += 5_000;
    const got = await fx.storage.read(BCK, 'o', () => undefined);
    assert.equal(got.meta.atimeNs, put.atimeNs); // as before this access
    const t1 = String(BigInt(now.ms) * 1_000_000n);
    assert.equal(fx.storage.head(BCK, 'o')?.atimeNs, t1);
    now.ms += 5_000;
    let seen = '';
    await fx.storage.read(BCK, 'o', (m) => {
      seen = m.atimeNs;
      return null;
    });
    assert.equal(seen, t1); // the pick sees the overlay
    assert.equal(fx.storage.head(BCK, 'o')?.atimeNs, String(BigInt(now.ms) * 1_000_000n));
  } finally {
    await fx.cleanup();
  }
});
