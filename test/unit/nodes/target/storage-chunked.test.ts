// Chunked objects and multipart uploads in the storage engine (storage/chunks.ts, storage/uploads.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { createCRC32 } from 'hash-wasm';
import { ErrBadCksum, ErrConflict, ErrObjNotFound, ErrRangeNotSatisfiable } from '../../../../protocol/errors.ts';
import { ErrS3 } from '../../../../protocol/s3/errors.ts';
import { chunkDirPath, partRange, crc32cCombine, decodeManifest, encodeManifest, multipartEtag, wholeCrc32c } from '../../../../nodes/target/storage/chunks.ts';
import { decodeLom, encodeLom, type ObjMeta } from '../../../../nodes/target/storage/lom.ts';
import { uploadsDir } from '../../../../nodes/target/storage/layout.ts';
import { MPT_PART_SIZE_MIN } from '../../../../nodes/target/storage/uploads.ts';
import { CRC32C_POLYNOMIAL } from '../../../../runtime/cksum/cksum.ts';
import { cleanupWork, CLEANUP_UPLOAD_AGE_MS } from '../../../../nodes/target/cleanup.ts';
import type { NodeCore } from '../../../../nodes/common/node-core.ts';
import { BCK, bodyOf, openFixture, patternBytes, PUT_DEFAULTS, readGot, type Fixture } from './storage-fixture.ts';

const MIB = 1024 * 1024;
const DONE = { versioning: true, writePolicy: 'immediate' } as const;
const PART = { writePolicy: 'immediate' } as const;

async function crc32c(data: Uint8Array): Promise<string> {
  const h = await createCRC32(CRC32C_POLYNOMIAL);
  h.init();
  h.update(data);
  return h.digest('hex');
}

function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function s3Code(code: string, status: number) {
  return (e: unknown) => e instanceof ErrS3 && e.s3Code === code && e.status === status;
}

/** An upload of `sizes` (part numbers 1..n), parts sent in `order`; returns the data and the id. */
async function upload(fx: Fixture, name: string, sizes: number[], order = sizes.map((_, i) => i)): Promise<{ id: string; data: Buffer; parts: Buffer[] }> {
  const id = await fx.storage.mptCreate(BCK, name, { 'Content-Type': 'text/x-test' });
  const parts = sizes.map((n, i) => Buffer.from(patternBytes(n, i + 1)));
  for (const i of order) {
    const p = await fx.storage.mptPutPart(BCK, name, id, i + 1, bodyOf(parts[i]!), { ...PART, contentLength: parts[i]!.length });
    assert.equal(p.md5, md5(parts[i]!));
  }
  return { id, data: Buffer.concat(parts), parts };
}

test('crc32c of a concatenation is combined from the parts', async () => {
  const a = patternBytes(1000, 1);
  const b = patternBytes(77_777, 2);
  const whole = await crc32c(Buffer.concat([a, b]));
  assert.equal(crc32cCombine(parseInt(await crc32c(a), 16), parseInt(await crc32c(b), 16), b.length).toString(16).padStart(8, '0'), whole);
  const chunks = [
    { num: 1, size: a.length, md5: '', crc32c: await crc32c(a) },
    { num: 2, size: 0, md5: '', crc32c: '00000000' },
    { num: 3, size: b.length, md5: '', crc32c: await crc32c(b) },
  ];
  assert.equal(wholeCrc32c(chunks), whole);
});

test('multipart ETag is the md5 of the binary part md5s, with -N', () => {
  const m1 = md5(Buffer.from('a'));
  const m2 = md5(Buffer.from('b'));
  const want = createHash('md5').update(Buffer.concat([Buffer.from(m1, 'hex'), Buffer.from(m2, 'hex')])).digest('hex');
  assert.equal(multipartEtag([m1, m2]), `${want}-2`);
});

test('chunk manifest: encode/decode round trip, corruption detected', () => {
  const m = { id: 'ab'.repeat(16), chunks: [{ num: 1, size: 5, md5: 'x', crc32c: '01020304' }, { num: 3, size: 2, md5: 'y', crc32c: 'a0b0c0d0' }] };
  const ref = encodeManifest(m);
  assert.deepEqual(decodeManifest(ref, 'o'), m);
  // through the LOM (format v2) and back
  const meta: ObjMeta = { size: 7, cksumType: 'crc32c', cksumValue: '1', version: '1', atimeNs: '1', mtimeMs: 1, customMd: {}, chunks: ref };
  const back = decodeLom(encodeLom(meta));
  assert.deepEqual(decodeManifest(back.chunks!, 'o'), m);
  const { chunks: _, ...plain } = meta;
  assert.equal(decodeLom(encodeLom(plain)).chunks, undefined);
  // a flipped byte in the manifest
  const bad = Uint8Array.from(ref.manifest);
  bad[bad.length - 1] ^= 0xff;
  assert.throws(() => decodeManifest({ ...ref, manifest: bad }, 'o'), (e) => e instanceof ErrBadCksum && /chunk manifest/.test(e.message));
  assert.throws(() => decodeManifest({ ...ref, cksum: '0'.repeat(32) }, 'o'), ErrBadCksum);
});

test('parts out of order complete into a chunked object: whole and ranged reads across chunks', async () => {
  const fx = await openFixture();
  try {
    const sizes = [MPT_PART_SIZE_MIN, MPT_PART_SIZE_MIN, 1234];
    const { id, data, parts } = await upload(fx, 'dir/big', sizes, [2, 0, 1]);
    const meta = await fx.storage.mptComplete(BCK, 'dir/big', id, parts.map((p, i) => ({ num: i + 1, etag: `"${md5(p)}"` })), DONE);
    assert.equal(meta.size, data.length);
    assert.equal(meta.customMd.ETag, multipartEtag(parts.map(md5)));
    assert.equal(meta.customMd['Content-Type'], 'text/x-test');
    assert.equal(meta.cksumType, 'crc32c');
    assert.equal(meta.cksumValue, await crc32c(data));
    const head = fx.storage.head(BCK, 'dir/big')!;
    assert.equal(head.size, data.length);
    assert.ok(head.chunks);
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'dir/big')), data);
    const b = MPT_PART_SIZE_MIN;
    for (const [s, e] of [[0, 0], [b - 10, b + 10], [b - 1, b], [b, b], [10, 2 * b + 5], [2 * b, 2 * b + 1233], [2 * b + 1000, 10 * b]] as const) {
      const got = await fx.storage.get(BCK, 'dir/big', { start: s, end: e });
      const end = Math.min(e, data.length - 1);
      assert.deepEqual(got.range, { start: s, end });
      assert.deepEqual(await readGot(got), data.subarray(s, end + 1), `${s}-${e}`);
    }
    await assert.rejects(fx.storage.get(BCK, 'dir/big', { start: data.length, end: data.length + 1 }), ErrRangeNotSatisfiable);
    await fx.storage.validate(BCK, 'dir/big');
    assert.deepEqual(partRange(head, 'dir/big', 2), { start: b, end: 2 * b - 1, count: 3 });
    assert.deepEqual(partRange(head, 'dir/big', 3), { start: 2 * b, end: 2 * b + 1233, count: 3 });
    assert.equal(partRange(head, 'dir/big', 4), undefined);
    // the upload is gone; the listing shows the object
    await assert.rejects(fx.storage.mptGet(BCK, 'dir/big', id), s3Code('NoSuchUpload', 404));
    assert.deepEqual(fx.storage.listNames(BCK, { prefix: '', limit: 10 }), ['dir/big']);
  } finally {
    await fx.cleanup();
  }
});

test('complete: part errors (order, unknown, etag, too small, none) leave the upload intact', async () => {
  const fx = await openFixture();
  try {
    const { id, parts } = await upload(fx, 'o', [100, MPT_PART_SIZE_MIN, 50]);
    const e = parts.map(md5);
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', id, [{ num: 2, etag: e[1]! }, { num: 1, etag: e[0]! }], DONE), s3Code('InvalidPartOrder', 400));
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', id, [{ num: 1, etag: e[0]! }, { num: 1, etag: e[0]! }], DONE), s3Code('InvalidPartOrder', 400));
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', id, [{ num: 4, etag: e[0]! }], DONE), s3Code('InvalidPart', 400));
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', id, [{ num: 2, etag: e[0]! }], DONE), s3Code('InvalidPart', 400));
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', id, [{ num: 1, etag: e[0]! }, { num: 2, etag: e[1]! }], DONE), s3Code('EntityTooSmall', 400));
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', id, [], DONE), s3Code('MalformedXML', 400));
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', 'f'.repeat(32), [{ num: 1, etag: '' }], DONE), s3Code('NoSuchUpload', 404));
    await assert.rejects(fx.storage.mptComplete(BCK, 'o', '../../x', [{ num: 1, etag: '' }], DONE), s3Code('NoSuchUpload', 404));
    await assert.rejects(fx.storage.mptComplete(BCK, 'other', id, [{ num: 1, etag: '' }], DONE), s3Code('NoSuchUpload', 404));
    assert.equal((await fx.storage.mptGet(BCK, 'o', id)).parts.length, 3);
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    // the last part may be small; parts left out are discarded; an empty etag is not checked (native API)
    const meta = await fx.storage.mptComplete(BCK, 'o', id, [{ num: 2, etag: '' }, { num: 3, etag: e[2]! }], DONE);
    assert.equal(meta.size, MPT_PART_SIZE_MIN + 50);
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'o')), Buffer.concat([parts[1]!, parts[2]!]));
    const loc = fx.mountpaths.map((mp) => chunkDirPath(mp, BCK, id));
    const files = (await Promise.all(loc.map((d) => readdir(d).catch(() => [])))).flat().sort();
    assert.deepEqual(files, ['2', '3']);
  } finally {
    await fx.cleanup();
  }
});

test('a re-uploaded part replaces the earlier one; abort removes the upload', async () => {
  const fx = await openFixture();
  try {
    const id = await fx.storage.mptCreate(BCK, 'o', {});
    await fx.storage.mptPutPart(BCK, 'o', id, 1, bodyOf('first'), PART);
    await fx.storage.mptPutPart(BCK, 'o', id, 1, bodyOf('second!'), PART);
    const u = await fx.storage.mptGet(BCK, 'o', id);
    assert.deepEqual(u.parts.map((p) => [p.num, p.size, p.md5]), [[1, 7, md5(Buffer.from('second!'))]]);
    await assert.rejects(fx.storage.mptPutPart(BCK, 'o', id, 2, bodyOf('abc'), { ...PART, contentLength: 5 }), (e) => (e as { status?: number }).status === 400);
    assert.deepEqual(await fx.storage.mptList({ bck: BCK, prefix: '', keyMarker: '', uploadIdMarker: '', limit: 10 }).then((l) => l.map((x) => x.uploadId)), [id]);
    await fx.storage.mptAbort(BCK, 'o', id);
    await assert.rejects(fx.storage.mptAbort(BCK, 'o', id), s3Code('NoSuchUpload', 404));
    await assert.rejects(fx.storage.mptPutPart(BCK, 'o', id, 1, bodyOf('x'), PART), s3Code('NoSuchUpload', 404));
    assert.deepEqual(await fx.storage.mptList({ bck: BCK, prefix: '', keyMarker: '', uploadIdMarker: '', limit: 10 }), []);
  } finally {
    await fx.cleanup();
  }
});

test('a partial upload survives a restart; listing uploads honours prefix and markers', async () => {
  const fx = await openFixture();
  try {
    const a = await upload(fx, 'a/x', [MPT_PART_SIZE_MIN, 20]);
    const b1 = await fx.storage.mptCreate(BCK, 'b', {});
    const b2 = await fx.storage.mptCreate(BCK, 'b', {});
    await fx.reopen();
    const u = await fx.storage.mptGet(BCK, 'a/x', a.id);
    assert.deepEqual(u.parts.map((p) => p.size), [MPT_PART_SIZE_MIN, 20]);
    const all = await fx.storage.mptList({ bck: BCK, prefix: '', keyMarker: '', uploadIdMarker: '', limit: 10 });
    assert.deepEqual(all.map((x) => x.key), ['a/x', 'b', 'b']);
    assert.deepEqual(all.slice(1).map((x) => x.uploadId), [b1, b2].sort());
    assert.deepEqual((await fx.storage.mptList({ bck: BCK, prefix: 'b', keyMarker: '', uploadIdMarker: '', limit: 10 })).length, 2);
    assert.deepEqual((await fx.storage.mptList({ bck: BCK, prefix: '', keyMarker: 'a/x', uploadIdMarker: '', limit: 10 })).length, 2);
    const first = all[1]!.uploadId;
    assert.deepEqual((await fx.storage.mptList({ bck: BCK, prefix: '', keyMarker: 'b', uploadIdMarker: first, limit: 10 })).map((x) => x.uploadId), [all[2]!.uploadId]);
    assert.equal((await fx.storage.mptList({ bck: BCK, prefix: '', keyMarker: '', uploadIdMarker: '', limit: 1 })).length, 1);
    const meta = await fx.storage.mptComplete(BCK, 'a/x', a.id, [{ num: 1, etag: '' }, { num: 2, etag: '' }], DONE);
    assert.equal(meta.size, MPT_PART_SIZE_MIN + 20);
    await fx.reopen();
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'a/x')), a.data);
  } finally {
    await fx.cleanup();
  }
});

test('overwrite: plain PUT over a chunked object and Complete over a plain one; delete removes chunks', async () => {
  const fx = await openFixture(1);
  try {
    const chunkDirs = async () => readdir(`${fx.mountpaths[0]}/@ais/${BCK.name}/%ch`).catch(() => [] as string[]);
    await fx.storage.put(BCK, 'o', bodyOf('plain v1'), PUT_DEFAULTS);
    const a = await upload(fx, 'o', [MPT_PART_SIZE_MIN, 3]);
    const m = await fx.storage.mptComplete(BCK, 'o', a.id, [{ num: 1, etag: '' }, { num: 2, etag: '' }], DONE);
    assert.equal(m.version, '2');
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'o')), a.data);
    assert.equal(await stat(`${fx.mountpaths[0]}/@ais/${BCK.name}/%ob/o`).catch(() => undefined), undefined, 'the old file is gone');
    await fx.storage.put(BCK, 'o', bodyOf('plain v3'), PUT_DEFAULTS);
    assert.equal(fx.storage.head(BCK, 'o')!.chunks, undefined);
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'o')), Buffer.from('plain v3'));
    assert.deepEqual(await chunkDirs(), [], 'the replaced chunks are gone');
    const b = await upload(fx, 'o', [4]);
    await fx.storage.mptComplete(BCK, 'o', b.id, [{ num: 1, etag: '' }], DONE);
    const c = await upload(fx, 'o', [5]);
    await fx.storage.mptComplete(BCK, 'o', c.id, [{ num: 1, etag: '' }], DONE);
    assert.deepEqual(await chunkDirs(), [c.id], 'chunked over chunked: only the new chunks');
    await fx.storage.delete(BCK, 'o');
    assert.equal(fx.storage.head(BCK, 'o'), undefined);
    await assert.rejects(fx.storage.get(BCK, 'o'), ErrObjNotFound);
    assert.deepEqual(await chunkDirs(), []);
    // a name clash with an existing object is refused at create
    await fx.storage.put(BCK, 'd/x', bodyOf('x'), PUT_DEFAULTS);
    await assert.rejects(fx.storage.mptCreate(BCK, 'd', {}), ErrConflict);
  } finally {
    await fx.cleanup();
  }
});

test('a truncated chunk fails validation and the read stream', async () => {
  const fx = await openFixture(1);
  try {
    const a = await upload(fx, 'o', [MPT_PART_SIZE_MIN, 100]);
    await fx.storage.mptComplete(BCK, 'o', a.id, [{ num: 1, etag: '' }, { num: 2, etag: '' }], DONE);
    await truncate(`${chunkDirPath(fx.mountpaths[0]!, BCK, a.id)}/2`, 50);
    await assert.rejects(fx.storage.validate(BCK, 'o'), ErrBadCksum);
    await assert.rejects(readGot(await fx.storage.get(BCK, 'o')), ErrBadCksum);
    // a range inside the intact chunk still reads
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'o', { start: 0, end: 9 })), a.data.subarray(0, 10));
  } finally {
    await fx.cleanup();
  }
});

test('resilver moves a chunked object with its chunk dir to a new mountpath', async () => {
  const fx = await openFixture(1);
  try {
    const names = Array.from({ length: 6 }, (_, i) => `obj-${i}`);
    const datas = new Map<string, Buffer>();
    for (const n of names) {
      const u = await upload(fx, n, [1000 + n.length]);
      await fx.storage.mptComplete(BCK, n, u.id, [{ num: 1, etag: '' }], DONE);
      datas.set(n, u.data);
    }
    const mp1 = `${fx.root}/mp-new`;
    await mkdir(mp1);
    await fx.storage.mpaths.attach(mp1);
    const p = await fx.storage.resilver(new AbortController().signal, () => {});
    assert.equal(p.errs, 0, p.firstErr);
    assert.ok(p.objs > 0, 'some object moved to the new mountpath');
    const moved = await readdir(`${mp1}/@ais/${BCK.name}/%ch`);
    assert.equal(moved.length, p.objs);
    for (const n of names) {
      assert.deepEqual(await readGot(await fx.storage.get(BCK, n)), datas.get(n));
      await fx.storage.validate(BCK, n);
    }
    const left = await readdir(`${fx.mountpaths[0]}/@ais/${BCK.name}/%ch`);
    assert.equal(left.length + moved.length, names.length, 'no chunk dir left behind');
  } finally {
    await fx.cleanup();
  }
});

test('space cleanup removes old uploads and orphaned chunk dirs, keeps live chunked objects', async () => {
  const fx = await openFixture(1);
  try {
    const mp = fx.mountpaths[0]!;
    const live = await upload(fx, 'live', [10]);
    await fx.storage.mptComplete(BCK, 'live', live.id, [{ num: 1, etag: '' }], DONE);
    const orphan = await upload(fx, 'orphan', [20]);
    await fx.storage.mptComplete(BCK, 'orphan', orphan.id, [{ num: 1, etag: '' }], DONE);
    // a crash between the rename and the index write: the chunk dir without its LOM
    const entry = fx.storage.head(BCK, 'orphan')!;
    await fx.storage.delete(BCK, 'orphan');
    const orphanDir = chunkDirPath(mp, BCK, orphan.id);
    await mkdir(orphanDir, { recursive: true });
    await writeFile(`${orphanDir}/1`, Buffer.alloc(entry.size));
    const young = await upload(fx, 'young', [5]);
    const old = await upload(fx, 'old', [7]);
    const past = new Date(Date.now() - CLEANUP_UPLOAD_AGE_MS - 60_000);
    await utimes(`${uploadsDir(mp, BCK)}/${old.id}/manifest`, past, past);
    await utimes(orphanDir, past, past);
    await utimes(chunkDirPath(mp, BCK, live.id), past, past);
    const core = { env: fx.env, owner: { bmd: undefined } } as unknown as NodeCore;
    const out = await cleanupWork(core, fx.storage)({ signal: new AbortController().signal, report: () => {} } as never);
    assert.ok((out as { counters: { locObjs: number } }).counters.locObjs >= 3);
    assert.deepEqual(await readdir(`${mp}/@ais/${BCK.name}/%ch`), [live.id]);
    assert.deepEqual(await readdir(uploadsDir(mp, BCK)), [young.id]);
    assert.deepEqual(await readGot(await fx.storage.get(BCK, 'live')), live.data);
    await fx.storage.mptGet(BCK, 'young', young.id);
    await assert.rejects(fx.storage.mptGet(BCK, 'old', old.id), s3Code('NoSuchUpload', 404));
  } finally {
    await fx.cleanup();
  }
});
