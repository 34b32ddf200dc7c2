// findArchived on shards made by the system tools (tar, tar --format=posix, tar -z, lz4 in several
// modes, zip deflated and stored) and by our own writers: whole files, ranges, missing, corrupt.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createArchiveWriter, findArchived, type ArchiveMime, type RandomAccess } from '../../../../runtime/archive/index.ts';
import { ErrInvalidArgument, ErrRangeNotSatisfiable } from '../../../../protocol/errors.ts';
import { inlineWorkers } from '../../../../runtime/env/real/workers.ts';
import { bufferSource, chunked, collect, fileSource, noiseBytes, sh, tempDir, textBytes } from './helpers.ts';

const workers = inlineWorkers();
const LONG_DIR = 'L'.repeat(120);
/** name in the shard → content */
const FILES: Record<string, Buffer> = {
  'a.txt': Buffer.from('hello world\n'),
  'd/text.txt': textBytes(5 * 1024 * 1024 + 3), // several LZ4 blocks, matches across block borders when linked
  'd/noise.bin': noiseBytes(300_000),
  [`${LONG_DIR}/c.txt`]: Buffer.from('long name\n'),
  'd/empty': Buffer.alloc(0),
};

const tmp = tempDir();
const srcDir = join(tmp.dir, 'src');
const shards = new Map<string, string>(); // label → path

async function ofTools(label: string, file: string, script: string): Promise<void> {
  await sh(script.replaceAll('OUT', join(tmp.dir, file)), srcDir);
  shards.set(label, join(tmp.dir, file));
}

async function ofWriter(mime: ArchiveMime): Promise<void> {
  const w = createArchiveWriter(workers, mime);
  const out = collect(w.output);
  for (const [name, data] of Object.entries(FILES)) await w.add(name, chunked(data), data.byteLength, 1_700_000_000_000);
  await w.finish();
  const file = join(tmp.dir, `ours${mime}`);
  writeFileSync(file, await out);
  shards.set(`ours${mime}`, file);
}

before(async () => {
  for (const [name, data] of Object.entries(FILES)) {
    mkdirSync(join(srcDir, name, '..'), { recursive: true });
    writeFileSync(join(srcDir, name), data);
  }
  const list = Object.keys(FILES).join(' ');
  await ofTools('tar (gnu)', 'gnu.tar', `tar -cf OUT ${list}`);
  await ofTools('tar (posix/pax)', 'posix.tar', `tar --format=posix -cf OUT ${list}`);
  await ofTools('tar -z', 'tools.tgz', `tar -czf OUT ${list}`);
  await ofTools('tar | gzip, multi-member', 'multi.tar.gz', `tar -cf x.tar ${list} && head -c 100000 x.tar | gzip > OUT && tail -c +100001 x.tar | gzip >> OUT && rm x.tar`);
  await ofTools('lz4 default', 'default.tar.lz4', `tar -cf - ${list} | lz4 -q > OUT`);
  await ofTools('lz4 linked 64K blocks', 'linked.tar.lz4', `tar -cf - ${list} | lz4 -q -BD -B4 > OUT`);
  await ofTools('lz4 block cksum, content size', 'bx.tar.lz4', `tar -cf - ${list} | lz4 -q -BX --content-size -B5 > OUT`);
  await ofTools('lz4 no frame crc, -9', 'nocrc.tar.lz4', `tar -cf - ${list} | lz4 -q -9 --no-frame-crc > OUT`);
  await ofTools('lz4 two frames', 'two.tar.lz4', `tar -cf x.tar ${list} && head -c 2000000 x.tar | lz4 -q > OUT && tail -c +2000001 x.tar | lz4 -q >> OUT && rm x.tar`);
  await ofTools('zip deflated', 'deflated.zip', `zip -qr OUT ${list}`);
  await ofTools('zip stored', 'stored.zip', `zip -qr0 OUT ${list}`);
  for (const mime of ['.tar', '.tgz', '.tar.lz4', '.zip'] as const) await ofWriter(mime);
});
after(() => tmp.cleanup());

/** Closing a file stream takes a trip through libuv's thread pool: wait for it, bounded (3 s). */
async function settled(src: { openStreams: () => number }): Promise<void> {
  for (let i = 0; i < 300 && src.openStreams() > 0; i++) await new Promise((r) => setTimeout(r, 10));
}

function shardName(path: string): string {
  return `shards/${path.slice(path.lastIndexOf('/') + 1)}`;
}

async function find(label: string, archpath: string, src?: RandomAccess) {
  const path = shards.get(label)!;
  return findArchived(workers, shardName(path), src ?? fileSource(path), archpath);
}

const LABELS = [
  'tar (gnu)', 'tar (posix/pax)', 'tar -z', 'tar | gzip, multi-member', 'lz4 default', 'lz4 linked 64K blocks',
  'lz4 block cksum, content size', 'lz4 no frame crc, -9', 'lz4 two frames', 'zip deflated', 'zip stored',
  'ours.tar', 'ours.tgz', 'ours.tar.lz4', 'ours.zip',
];

describe('findArchived', () => {
  for (const label of LABELS) {
    test(`${label}: every file, whole and in ranges; missing → undefined`, async () => {
      for (const [name, data] of Object.entries(FILES)) {
        const f = await find(label, name);
        assert.ok(f, `${name} found`);
        assert.equal(f.size, data.byteLength, `size of ${name}`);
        assert.ok((await collect(f.open())).equals(data), `bytes of ${name}`);
        if (data.byteLength >= 20) {
          const mid = Math.floor(data.byteLength / 2);
          assert.ok((await collect(f.open(mid, mid + 7))).equals(data.subarray(mid, mid + 7)), `middle range of ${name}`);
          assert.ok((await collect(f.open(data.byteLength - 3))).equals(data.subarray(-3)), `tail of ${name}`);
          assert.ok((await collect(f.open(0, 1))).equals(data.subarray(0, 1)), `first byte of ${name}`);
        }
        assert.equal((await collect(f.open(0, 0))).byteLength, 0);
        assert.throws(() => f.open(0, data.byteLength + 1), ErrRangeNotSatisfiable);
        assert.throws(() => f.open(2, 1), ErrRangeNotSatisfiable);
      }
      assert.equal(await find(label, 'nope.txt'), undefined);
      assert.equal(await find(label, 'd'), undefined, 'a directory is not a file');
      assert.equal(await find(label, 'a.tx'), undefined, 'no prefix match');
    });
  }

  test('a leading slash is ignored on either side (AIS namesEq)', async () => {
    assert.ok(await find('tar (gnu)', '/a.txt'));
    assert.ok(await find('zip stored', '/d/noise.bin'));
  });

  test('a plain tar is read by hopping headers, not whole', async () => {
    const src = fileSource(shards.get('tar (gnu)')!);
    const f = await findArchived(workers, 'x.tar', src, `${LONG_DIR}/c.txt`);
    assert.ok(f);
    // Five headers, 64 KiB of read-ahead each at most, of a 5.6 MB shard.
    assert.ok(src.bytesRead() <= 5 * 64 * 1024, `read ${src.bytesRead()} bytes`);
  });

  test('a zip is read through its central directory, not whole', async () => {
    const src = fileSource(shards.get('zip deflated')!);
    const f = await findArchived(workers, 'x.zip', src, 'a.txt');
    assert.ok(f);
    assert.ok(src.bytesRead() < 256 * 1024, `read ${src.bytesRead()} bytes (the end-of-directory search and read-ahead are 64 KiB each)`);
  });

  test('many small files: directory walks read ahead instead of one read per header', async () => {
    const n = 2000;
    for (const mime of ['.tar', '.zip'] as const) {
      const w = createArchiveWriter(workers, mime);
      const out = collect(w.output);
      for (let i = 0; i < n; i++) await w.add(`f/${i}`, Buffer.from(`file ${i}`), `file ${i}`.length, 1_700_000_000_000);
      await w.finish();
      const file = join(tmp.dir, `many${mime}`);
      writeFileSync(file, await out);
      const src = fileSource(file);
      const f = await findArchived(workers, `many${mime}`, src, `f/${n - 1}`);
      assert.ok(f);
      assert.equal((await collect(f.open())).toString(), `file ${n - 1}`);
      assert.ok(src.calls() < 40, `${mime}: ${src.calls()} reads`);
    }
  });

  test('streams of the shard are opened on the first read and closed after a range, or when dropped', async () => {
    for (const label of ['tar -z', 'lz4 default', 'zip deflated', 'ours.tar']) {
      const src = fileSource(shards.get(label)!);
      const f = await findArchived(workers, shardName(shards.get(label)!), src, 'd/text.txt');
      assert.ok(f);
      await settled(src);
      assert.equal(src.openStreams(), 0, `${label}: nothing left open by the find`);
      const calls = src.calls();
      f.open(10, 20).destroy();
      await new Promise((r) => setImmediate(r));
      if (label !== 'ours.tar') assert.equal(src.calls(), calls, `${label}: a dropped reader opened nothing`);
      assert.ok((await collect(f.open(0, 100))).equals(FILES['d/text.txt']!.subarray(0, 100)));
      await settled(src);
      assert.equal(src.openStreams(), 0, `${label}: closed after the range`);
    }
  });

  test('the format comes from the magic bytes when the name has no archive extension', async () => {
    for (const label of ['tar (posix/pax)', 'tar -z', 'lz4 default', 'zip deflated']) {
      const path = shards.get(label)!;
      const f = await findArchived(workers, 'shards/no-extension', fileSource(path), 'a.txt');
      assert.ok(f, label);
      assert.equal((await collect(f.open())).toString(), 'hello world\n');
    }
  });
});

describe('findArchived on bad input', () => {
  const invalid = (re: RegExp) => (e: unknown) => e instanceof ErrInvalidArgument && e.status === 400 && re.test(e.message);

  test('not an archive (by name nor by content) → 400', async () => {
    await assert.rejects(findArchived(workers, 'b/plain.txt', bufferSource(Buffer.from('just text')), 'a'), invalid(/^b\/plain.txt is not an archive \(expecting \.tar, \.tgz, \.tar\.gz, \.tar\.lz4, \.zip\) to read a from$/));
  });

  test('empty archpath → 400', async () => {
    await assert.rejects(find('tar (gnu)', ''), invalid(/empty archpath/));
  });

  test('tar: bad header checksum → 400', async () => {
    const b = Buffer.from(readFileSync(shards.get('tar (gnu)')!));
    b[10] ^= 0xff; // inside the first header's name
    await assert.rejects(findArchived(workers, 'x.tar', bufferSource(b), 'd/empty'), invalid(/^x\.tar \(\.tar\): corrupt tar: header checksum mismatch at offset 0$/));
  });

  test('tar: truncated inside the wanted file → 400', async () => {
    const b = readFileSync(shards.get('tar (gnu)')!);
    const cut = b.subarray(0, 2 * 1024 * 1024);
    await assert.rejects(findArchived(workers, 'x.tar', bufferSource(cut), 'd/text.txt'), invalid(/corrupt tar: d\/text.txt runs past the end/));
    await assert.rejects(findArchived(workers, 'x.tar', bufferSource(cut), 'd/noise.bin'), invalid(/corrupt tar: truncated/));
  });

  test('tar: garbage → 400', async () => {
    await assert.rejects(findArchived(workers, 'x.tar', bufferSource(noiseBytes(4096)), 'a.txt'), invalid(/corrupt tar/));
  });

  test('tgz: not gzip, and truncated → 400', async () => {
    await assert.rejects(findArchived(workers, 'x.tgz', bufferSource(noiseBytes(4096)), 'a.txt'), invalid(/^x\.tgz \(\.tgz\): corrupt compressed data: incorrect header check$/));
    const b = readFileSync(shards.get('tar -z')!);
    await assert.rejects(findArchived(workers, 'x.tgz', bufferSource(b.subarray(0, 1000)), 'd/noise.bin'), invalid(/corrupt|truncated/));
  });

  test('tgz: corrupt inside the wanted file → the open stream fails with a format error', async () => {
    const b = Buffer.from(readFileSync(shards.get('ours.tgz')!));
    const f = await findArchived(workers, 'x.tgz', bufferSource(b), 'a.txt');
    assert.ok(f);
    b.fill(0x55, 12, b.byteLength - 1024); // after the find, right after the gzip header: the open decodes again
    await assert.rejects(collect(f.open()), /corrupt compressed data|truncated/);
  });

  test('lz4: not lz4, bad header checksum, corrupt block, truncated → 400', async () => {
    await assert.rejects(findArchived(workers, 'x.tar.lz4', bufferSource(noiseBytes(4096)), 'a.txt'), invalid(/^x\.tar\.lz4 \(\.tar\.lz4\): corrupt LZ4: not an LZ4 frame$/));
    const good = readFileSync(shards.get('lz4 linked 64K blocks')!);
    const hdr = Buffer.from(good);
    hdr[5] ^= 0x01; // BD reserved bit: header checksum no longer matches (or reserved bit set)
    await assert.rejects(findArchived(workers, 'x.tar.lz4', bufferSource(hdr), 'd/empty'), invalid(/corrupt LZ4: (reserved descriptor bits set|frame header checksum mismatch)/));
    const body = Buffer.from(good);
    for (let i = 100; i < body.byteLength - 100; i += 97) body[i] ^= 0x5a;
    await assert.rejects(findArchived(workers, 'x.tar.lz4', bufferSource(body), 'd/empty'), invalid(/corrupt (LZ4|tar)/));
    await assert.rejects(findArchived(workers, 'x.tar.lz4', bufferSource(good.subarray(0, good.byteLength - 5000)), 'd/empty'), invalid(/truncated|corrupt LZ4/));
  });

  test('lz4: content checksum mismatch → 400', async () => {
    // Two frames; the scan for a missing file reads through the first one and its checksum.
    const list = Object.keys(FILES).join(' ');
    const p1 = join(tmp.dir, 'p1.lz4');
    const p2 = join(tmp.dir, 'p2.lz4');
    await sh(`tar -cf x.tar ${list} && head -c 2000000 x.tar | lz4 -q > ${p1} && tail -c +2000001 x.tar | lz4 -q > ${p2} && rm x.tar`, srcDir);
    const first = Buffer.from(readFileSync(p1));
    first[first.byteLength - 1] ^= 0xff; // last byte of the first frame's content checksum
    const b = Buffer.concat([first, readFileSync(p2)]);
    await assert.rejects(findArchived(workers, 'x.tar.lz4', bufferSource(b), 'missing'), invalid(/^x\.tar\.lz4 \(\.tar\.lz4\): corrupt LZ4: content checksum mismatch$/));
  });

  test('zip: garbage, truncated → 400', async () => {
    await assert.rejects(findArchived(workers, 'x.zip', bufferSource(noiseBytes(4096)), 'a.txt'), invalid(/^x\.zip \(\.zip\): corrupt zip: End of central directory record signature not found/));
    const b = readFileSync(shards.get('zip deflated')!);
    await assert.rejects(findArchived(workers, 'x.zip', bufferSource(b.subarray(0, b.byteLength - 40)), 'a.txt'), invalid(/corrupt zip/));
  });

  test('zip: corrupt deflate data → the open stream fails with a format error', async () => {
    const b = Buffer.from(readFileSync(shards.get('zip deflated')!));
    const f = await findArchived(workers, 'x.zip', bufferSource(b), 'd/text.txt');
    assert.ok(f);
    b.fill(0xff, 200, 100_000);
    await assert.rejects(collect(f.open()), /corrupt compressed data/);
  });
});
