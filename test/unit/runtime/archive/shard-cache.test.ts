// ShardCache (GetBatch coloc 2): the same bytes and errors as findArchived, each shard opened once for
// many members, LRU under its budget, a rewritten shard (new size/mtime) never served stale.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createArchiveWriter, findArchived, ShardCache, shardKey, type ArchiveMime, type CachedFile, type RandomAccess } from '../../../../runtime/archive/index.ts';
import { ErrInvalidArgument } from '../../../../protocol/errors.ts';
import { inlineWorkers } from '../../../../runtime/env/real/workers.ts';
import { bufferSource, chunked, collect, noiseBytes, sh, tempDir, textBytes } from './helpers.ts';

const workers = inlineWorkers();
const MIMES = ['.tar', '.tgz', '.tar.lz4', '.zip'] as const;

/** name → content: small members, one big one, an empty one, a long name. */
function filesOf(n: number, seed = 1): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (let i = 0; i < n; i++) m.set(`f/${i}.bin`, textBytes(100 + ((i * 37) % 2000), seed + i));
  m.set('big.bin', noiseBytes(1_500_000, seed));
  m.set('empty', Buffer.alloc(0));
  m.set(`${'L'.repeat(130)}/long.txt`, Buffer.from(`long ${seed}\n`));
  return m;
}

async function shardOf(mime: ArchiveMime, files: Map<string, Buffer>): Promise<Buffer> {
  const w = createArchiveWriter(workers, mime);
  const out = collect(w.output);
  for (const [name, data] of files) await w.add(name, chunked(data), data.byteLength, 1_700_000_000_000);
  await w.finish();
  return out;
}

/** A RandomAccess that counts its reads and streams (opens of the shard). */
function counted(buf: Uint8Array): RandomAccess & { reads: number; streams: number } {
  const inner = bufferSource(buf);
  const c = {
    size: inner.size,
    reads: 0,
    streams: 0,
    read(start: number, length: number) {
      c.reads++;
      return inner.read(start, length);
    },
    stream(start?: number, end?: number) {
      c.streams++;
      return inner.stream(start, end);
    },
  };
  return c;
}

async function bytesOf(f: CachedFile, start = 0, end = f.size): Promise<Buffer> {
  return f.read ? Buffer.from(await f.read(start, end)) : collect(f.open(start, end));
}

const FILES = filesOf(40);
const shards = new Map<string, Buffer>();
const tmp = tempDir();

before(async () => {
  for (const mime of MIMES) shards.set(`ours${mime}`, await shardOf(mime, FILES));
  // Shards of the system tools too (GNU long names, PAX, multi-member gzip, stored zip).
  const src = join(tmp.dir, 'src');
  for (const [name, data] of FILES) {
    mkdirSync(join(src, name, '..'), { recursive: true });
    writeFileSync(join(src, name), data);
  }
  const list = [...FILES.keys()].map((n) => `'${n}'`).join(' ');
  const tools: [string, string][] = [
    ['gnu.tar', `tar -cf OUT ${list}`],
    ['posix.tar', `tar --format=posix -cf OUT ${list}`],
    ['multi.tar.gz', `tar -cf x.tar ${list} && head -c 100000 x.tar | gzip > OUT && tail -c +100001 x.tar | gzip >> OUT && rm x.tar`],
    ['linked.tar.lz4', `tar -cf - ${list} | lz4 -q -BD -B4 > OUT`],
    ['stored.zip', `zip -qr0 OUT ${list}`],
    ['deflated.zip', `zip -qr OUT ${list}`],
  ];
  for (const [file, script] of tools) {
    await sh(script.replaceAll('OUT', join(tmp.dir, file)), src);
    shards.set(file, readFileSync(join(tmp.dir, file)));
  }
});
after(() => tmp.cleanup());

describe('ShardCache', () => {
  test('every format: the same bytes as findArchived, whole and by range, each shard opened once', async () => {
    for (const [label, buf] of shards) {
      const cache = new ShardCache();
      const key = shardKey('ais://b', label, buf.byteLength, 1);
      const src = counted(buf);
      for (const [name, data] of FILES) {
        const f = await cache.find(workers, key, `s/${label}`, src, name);
        assert.ok(f, `${label}: ${name}`);
        assert.equal(f.size, data.byteLength);
        assert.ok((await bytesOf(f)).equals(data), `${label}: ${name}`);
        if (data.byteLength > 10) {
          assert.ok((await bytesOf(f, 3, data.byteLength - 5)).equals(data.subarray(3, data.byteLength - 5)), `${label}: ${name} by range`);
          assert.ok((await collect(f.open(1, 7))).equals(data.subarray(1, 7)), `${label}: ${name} open by range`);
        }
        const ref = await findArchived(workers, `s/${label}`, bufferSource(buf), name);
        assert.ok((await collect(ref!.open())).equals(data));
      }
      assert.equal(await cache.find(workers, key, `s/${label}`, src, 'no/such'), undefined, label);
      assert.equal(await cache.find(workers, key, `s/${label}`, src, `/f/3.bin`).then((f) => f?.size), FILES.get('f/3.bin')!.byteLength, `${label}: leading '/'`);
      assert.equal(cache.stats.builds, 1, label);
      assert.ok(cache.held > 0 && cache.held <= cache.budget, label);
    }
  });

  test('N members of a compressed shard: one decode (vs N without the cache)', async () => {
    for (const mime of ['.tgz', '.tar.lz4'] as const) {
      const buf = shards.get(`ours${mime}`)!;
      const src = counted(buf);
      const cache = new ShardCache();
      const key = shardKey('ais://b', 'x', buf.byteLength, 1);
      const names = [...FILES.keys()].filter((n) => n.startsWith('f/'));
      const got = await Promise.all(names.map((n) => cache.find(workers, key, `x${mime}`, src, n)));
      for (let i = 0; i < names.length; i++) assert.ok((await bytesOf(got[i]!)).equals(FILES.get(names[i]!)!));
      assert.equal(src.streams, 1, `${mime}: opened once`);
      assert.equal(cache.stats.builds, 1);
      assert.equal(cache.stats.hits, names.length - 1);
      // Today's path: one decode per find, one more per open.
      const plain = counted(buf);
      for (const n of names.slice(0, 5)) await collect((await findArchived(workers, `x${mime}`, plain, n))!.open());
      assert.equal(plain.streams, 10);
    }
  });

  test('N members of a plain tar: one scan, then one range read per member', async () => {
    const buf = shards.get('ours.tar')!;
    const src = counted(buf);
    const cache = new ShardCache();
    const key = shardKey('ais://b', 'x.tar', buf.byteLength, 1);
    await cache.find(workers, key, 'x.tar', src, 'f/0.bin');
    const afterScan = src.reads + src.streams;
    const names = [...FILES.keys()].filter((n) => n.startsWith('f/'));
    for (const n of names) assert.ok((await bytesOf((await cache.find(workers, key, 'x.tar', src, n))!)).equals(FILES.get(n)!));
    assert.equal(src.reads + src.streams - afterScan, names.length, 'a member is one read');
  });

  test('zip: the central directory is read once', async () => {
    const buf = shards.get('stored.zip')!;
    const src = counted(buf);
    const cache = new ShardCache();
    const key = shardKey('ais://b', 'x.zip', buf.byteLength, 1);
    await cache.find(workers, key, 'x.zip', src, 'f/0.bin');
    const afterDir = src.reads;
    const names = [...FILES.keys()].filter((n) => n.startsWith('f/'));
    for (const n of names) assert.ok((await bytesOf((await cache.find(workers, key, 'x.zip', src, n))!)).equals(FILES.get(n)!));
    // At most one local-header read per member (the read-ahead often holds it), never the directory again.
    assert.ok(src.reads - afterDir <= names.length, `${src.reads - afterDir} reads`);
    assert.equal(cache.stats.builds, 1);
  });

  test('LRU eviction under the budget; a shard bigger than the budget goes the uncached way', async () => {
    const small = [1, 2, 3].map((seed) => filesOf(5, seed * 100));
    for (const m of small) m.delete('big.bin');
    const bufs = await Promise.all(small.map((m) => shardOf('.tgz', m)));
    const decoded = (await shardOf('.tar', small[0]!)).byteLength;
    const cache = new ShardCache(Math.floor(decoded * 2.5)); // room for two
    const srcs = bufs.map((b) => counted(b));
    const get = async (k: number, name = 'f/1.bin') => {
      const f = await cache.find(workers, shardKey('ais://b', `s${k}.tgz`, bufs[k]!.byteLength, 1), `s${k}.tgz`, srcs[k]!, name);
      assert.ok((await bytesOf(f!)).equals(small[k]!.get(name)!));
    };
    await get(0);
    await get(1);
    assert.equal(cache.stats.evictions, 0);
    await get(0); // 0 is now the most recent: 1 goes first
    await get(2);
    assert.equal(cache.stats.evictions, 1);
    assert.ok(cache.held <= cache.budget);
    await get(0);
    await get(2);
    assert.equal(cache.stats.builds, 3, 'shards 0 and 2 still held');
    await get(1);
    assert.equal(cache.stats.builds, 4, 'shard 1 was evicted: opened again');
    assert.equal(cache.stats.evictions, 2);

    const big = shards.get('ours.tgz')!;
    const tiny = new ShardCache(64 * 1024);
    const src = counted(big);
    for (const n of ['f/1.bin', 'f/2.bin', 'big.bin']) {
      const f = await tiny.find(workers, shardKey('ais://b', 'big.tgz', big.byteLength, 1), 'big.tgz', src, n);
      assert.ok((await bytesOf(f!)).equals(FILES.get(n)!));
    }
    assert.equal(tiny.held, 0);
    assert.equal(tiny.stats.builds, 1, 'a shard too big is not tried again');
  });

  test('a rewritten shard (new size / mtime) is a miss, never stale', async () => {
    const v1 = filesOf(3, 1);
    const v2 = filesOf(3, 2);
    for (const mime of MIMES) {
      const cache = new ShardCache();
      const b1 = await shardOf(mime, v1);
      const b2 = await shardOf(mime, v2);
      const f1 = await cache.find(workers, shardKey('ais://b', 's', b1.byteLength, 1000), `s${mime}`, bufferSource(b1), 'f/1.bin');
      assert.ok((await bytesOf(f1!)).equals(v1.get('f/1.bin')!));
      const f2 = await cache.find(workers, shardKey('ais://b', 's', b2.byteLength, 2000), `s${mime}`, bufferSource(b2), 'f/1.bin');
      assert.ok((await bytesOf(f2!)).equals(v2.get('f/1.bin')!), mime);
      // Same size, newer mtime: still a miss.
      const f3 = await cache.find(workers, shardKey('ais://b', 's', b2.byteLength, 3000), `s${mime}`, bufferSource(b2), 'f/2.bin');
      assert.ok((await bytesOf(f3!)).equals(v2.get('f/2.bin')!), mime);
      assert.equal(cache.stats.builds, 3, mime);
    }
    assert.notEqual(shardKey('ais://a', 'x', 1, 2), shardKey('ais://b', 'x', 1, 2));
    assert.notEqual(shardKey('ais://a', 'x', 1, 2), shardKey('ais://a', 'x', 1, 3));
  });

  test('bad input: the same errors as findArchived', async () => {
    const invalid = (re: RegExp) => (e: unknown) => e instanceof ErrInvalidArgument && re.test(e.message);
    const cache = new ShardCache();
    const find = (name: string, buf: Uint8Array, archpath: string) => cache.find(workers, shardKey('ais://b', name, buf.byteLength, 1), name, bufferSource(buf), archpath);
    await assert.rejects(find('b/plain.txt', Buffer.from('just text'), 'a'), invalid(/^b\/plain.txt is not an archive \(expecting \.tar, \.tgz, \.tar\.gz, \.tar\.lz4, \.zip\) to read a from$/));
    await assert.rejects(find('x.tgz', noiseBytes(4096), 'a.txt'), invalid(/^x\.tgz \(\.tgz\): corrupt compressed data: incorrect header check$/));
    await assert.rejects(find('x.tar', noiseBytes(4096), 'a.txt'), invalid(/^x\.tar \(\.tar\): corrupt tar/));
    await assert.rejects(find('x.zip', noiseBytes(4096), 'a.txt'), invalid(/^x\.zip \(\.zip\): corrupt zip/));
    await assert.rejects(find('x.tar', shards.get('ours.tar')!, ''), invalid(/^x\.tar: empty archpath$/));
    // A truncated tar: a member before the cut is still served (as today), one past it fails as today.
    const tar = shards.get('ours.tar')!;
    const cut = tar.subarray(0, tar.byteLength - 700_000);
    const ok = await find('cut.tar', cut, 'f/1.bin');
    assert.ok((await bytesOf(ok!)).equals(FILES.get('f/1.bin')!));
    const want = await findArchived(workers, 'cut.tar', bufferSource(cut), 'empty').then(
      () => 'ok',
      (e: Error) => e.message,
    );
    const got = await find('cut.tar', cut, 'empty').then(
      () => 'ok',
      (e: Error) => e.message,
    );
    assert.equal(got, want);
  });
});
