import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk, SimKvIndex, compareUtf8 } from '../../../../sim/env/disk.ts';

const disk = (): SimDisk => new SimDisk({ nowMs: () => 1000 });
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

async function readStream(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('files: write, stat, read, range, rename, unlink; missing parent is ENOENT', async () => {
  const d = disk();
  await assert.rejects(d.openWrite('/a/b/f'), { code: 'ENOENT' });
  await d.mkdir('/a/b');
  const w = await d.openWrite('/a/b/f');
  await w.write(Buffer.from('hello '));
  await w.writev([Buffer.from('wor'), Buffer.from('ld')]);
  await w.close();
  assert.deepEqual(await d.stat('/a/b/f'), { size: 11, mtimeMs: 1000, isFile: true, isDirectory: false });
  assert.equal(text(await d.readFile('/a/b/f')), 'hello world');
  assert.equal(text(await d.readRange('/a/b/f', 6, 100)), 'world');
  assert.equal(await readStream(d.createReadStream('/a/b/f', { start: 1, end: 4 })), 'ello');
  await d.rename('/a/b/f', '/a/g');
  assert.equal(await d.stat('/a/b/f'), undefined);
  assert.deepEqual(
    (await d.readdir('/a')).map((e) => [e.name, e.isFile, e.isDirectory]),
    [['b', false, true], ['g', true, false]],
  );
  await d.unlink('/a/g');
  await d.unlink('/a/g'); // ok if missing
  await assert.rejects(d.readFile('/a/g'), { code: 'ENOENT' });
  await assert.rejects(readStream(d.createReadStream('/a/g')), { code: 'ENOENT' });
});

test('rmrf removes a tree; statfs counts used bytes', async () => {
  const d = disk();
  await d.mkdir('/m/x/y');
  await d.writeFileAtomic('/m/x/y/f', new Uint8Array(100));
  await d.writeFileAtomic('/m/top', new Uint8Array(50));
  assert.equal((await d.statfs('/m')).totalBytes - (await d.statfs('/m')).freeBytes, 150);
  await d.rmrf('/m/x');
  assert.equal(await d.stat('/m/x'), undefined);
  assert.deepEqual(d.filePaths(), ['/m/top']);
  assert.equal((await d.statfs('/m')).totalBytes - (await d.statfs('/m')).freeBytes, 50);
});

test('unsynced writes are tracked until sync (what a crash would lose)', async () => {
  const d = disk();
  await d.mkdir('/w');
  const w = await d.openWrite('/w/work');
  await w.write(Buffer.from('abc'));
  assert.deepEqual(d.unsyncedPaths(), ['/w/work']);
  await w.sync();
  assert.deepEqual(d.unsyncedPaths(), []);
  await w.write(Buffer.from('d'));
  assert.deepEqual(d.unsyncedPaths(), ['/w/work']);
  await d.writeFileAtomic('/w/atomic', Buffer.from('x'));
  assert.deepEqual(d.unsyncedPaths(), ['/w/work']);
});

test('KvIndex: keys sorted by UTF-8 bytes (as LMDB), range start/end/limit/keysOnly', async () => {
  const idx = new SimKvIndex();
  // U+FFFD is above a surrogate pair in UTF-16 but below it in UTF-8
  const keys = ['b', 'a', 'a/x', '\u{1F600}', '\uFFFD', 'ab', 'A'];
  for (const k of keys) await idx.put(k, Buffer.from(k));
  const all = [...idx.range({ start: '' })].map((e) => e.key);
  const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.deepEqual(all, byBytes);
  assert.deepEqual(all, ['A', 'a', 'a/x', 'ab', 'b', '\uFFFD', '\u{1F600}']);
  assert.deepEqual([...idx.range({ start: 'a', end: 'b' })].map((e) => e.key), ['a', 'a/x', 'ab']);
  assert.deepEqual([...idx.range({ start: 'a', limit: 2 })].map((e) => e.key), ['a', 'a/x']);
  assert.equal([...idx.range({ start: 'b', keysOnly: true })][0]!.value.byteLength, 0);
  assert.equal(text(idx.get('ab')!), 'ab');
  await idx.remove('ab');
  assert.equal(idx.get('ab'), undefined);
  assert.deepEqual([...idx.range({ start: 'a', end: 'b' })].map((e) => e.key), ['a', 'a/x']);
  assert.ok(compareUtf8('\uFFFD', '\u{1F600}') < 0);
});

test('openIndex keeps one index per directory across close and reopen', async () => {
  const d = disk();
  const i1 = await d.openIndex('/mp/.meta');
  await i1.put('k', Buffer.from('v'));
  await i1.flush();
  await i1.close();
  const i2 = await d.openIndex('/mp/.meta');
  assert.equal(text(i2.get('k')!), 'v');
  assert.ok((await d.stat('/mp/.meta'))?.isDirectory);
});

test('power loss keeps synced content and flushed index state only; faults inject errors', async () => {
  const d = disk();
  await d.mkdir('/m');
  const synced = await d.openWrite('/m/synced');
  await synced.write(Buffer.from('durable'));
  await synced.sync();
  await synced.write(Buffer.from(' + lost tail'));
  await synced.close();
  const loose = await d.openWrite('/m/loose');
  await loose.write(Buffer.from('never synced'));
  await loose.close();
  const idx = await d.openIndex('/m/meta');
  await idx.put('kept', Buffer.from('1'));
  await idx.put('gone-after', Buffer.from('x'));
  await idx.flush();
  await idx.put('new', Buffer.from('2'));
  await idx.remove('gone-after');
  await idx.put('kept', Buffer.from('3'));
  d.powerLoss();
  assert.equal(text(await d.readFile('/m/synced')), 'durable');
  assert.equal(await d.stat('/m/loose'), undefined);
  assert.deepEqual([...idx.range({ start: '' })].map((e) => [e.key, text(e.value)]), [['gone-after', 'x'], ['kept', '1']]);
  d.faults = { error: (op) => (op === 'write' ? 'ENOSPC' : undefined), delay: () => undefined };
  const w = await d.openWrite('/m/full');
  await assert.rejects(w.write(Buffer.from('x')), { code: 'ENOSPC' });
});
