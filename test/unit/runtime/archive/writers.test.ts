// Each writer's output read back by the system tools (tar, gzip, lz4, unzip): exact names, order, bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createArchiveWriter, parseArchiveMime, type ArchiveMime } from '../../../../runtime/archive/index.ts';
import { ErrInvalidArgument, InvariantError } from '../../../../protocol/errors.ts';
import { createRealWorkers, inlineWorkers, type RealWorkers } from '../../../../runtime/env/real/workers.ts';
import type { Workers } from '../../../../runtime/env/types.ts';
import { chunked, collect, noiseBytes, tempDir, textBytes, tool } from './helpers.ts';

const MTIME_MS = 1_700_000_000_000;
const MIMES: ArchiveMime[] = ['.tar', '.tgz', '.tar.gz', '.tar.lz4', '.zip'];
const LONG_NAME = `bck/${'d'.repeat(120)}/${'n'.repeat(90)}.bin`;

interface Entry {
  name: string;
  data: Buffer;
  asStream: boolean;
}

const ENTRIES: Entry[] = [
  { name: 'bck/one.txt', data: Buffer.from('hello\n'), asStream: false },
  { name: 'bck/text/2.txt', data: textBytes(3 * 1024 * 1024 + 17), asStream: true }, // > one 1 MiB block
  { name: 'bck/empty', data: Buffer.alloc(0), asStream: false },
  { name: LONG_NAME, data: noiseBytes(70_001), asStream: true },
  { name: 'bck/ünïcødé-名前.bin', data: noiseBytes(513, 3), asStream: false },
  { name: '__404__/bck/missing', data: Buffer.alloc(0), asStream: true },
  { name: 'bck/last', data: textBytes(1024 * 1024, 9), asStream: false }, // exactly one block of tar data? no: headers shift it
];

function tarFlags(mime: ArchiveMime): string[] {
  if (mime === '.tgz' || mime === '.tar.gz') return ['-z'];
  if (mime === '.tar.lz4') return ['-I', 'lz4'];
  return [];
}

async function writeArchive(workers: Workers, mime: ArchiveMime, entries: Entry[]): Promise<Buffer> {
  const w = createArchiveWriter(workers, mime);
  const out = collect(w.output);
  // Adds issued without waiting: the writer queues them in call order.
  const adds = entries.map((e) => w.add(e.name, e.asStream ? chunked(e.data) : e.data, e.data.byteLength, MTIME_MS));
  await Promise.all(adds);
  await w.finish();
  return out;
}

async function checkWithTools(dir: string, mime: ArchiveMime, archive: Buffer, entries: Entry[]): Promise<void> {
  const file = join(dir, `out${mime}`);
  writeFileSync(file, archive);
  const names = entries.map((e) => e.name);
  if (mime === '.zip') {
    assert.deepEqual((await tool('unzip', ['-Z1', file])).toString('utf8').split('\n').filter(Boolean), names);
    await tool('unzip', ['-tq', file]);
    for (const e of entries) assert.ok((await tool('unzip', ['-p', file, e.name])).equals(e.data), `bytes of ${e.name}`);
    return;
  }
  if (mime === '.tgz' || mime === '.tar.gz') await tool('gzip', ['-t', file]);
  if (mime === '.tar.lz4') await tool('lz4', ['-t', file]);
  const listing = (await tool('tar', [...tarFlags(mime), '-tf', file])).toString('utf8').split('\n').filter(Boolean);
  assert.deepEqual(listing, names);
  const verbose = (await tool('tar', [...tarFlags(mime), '-tvf', file])).toString('utf8');
  assert.match(verbose, /^-rw-r--r-- 0\/0 +6 2023-11-14 22:13 bck\/one.txt$/m, 'mode, size and mtime of the first entry');
  const x = join(dir, `x${mime}`);
  mkdirSync(x);
  await tool('tar', [...tarFlags(mime), '-xf', file, '-C', x]);
  for (const e of entries) assert.ok(readFileSync(join(x, e.name)).equals(e.data), `bytes of ${e.name}`);
}

describe('archive writers, read back by system tools', () => {
  let real: RealWorkers;
  const tmp = tempDir();
  before(() => {
    real = createRealWorkers();
  });
  after(async () => {
    await real.close();
    tmp.cleanup();
  });

  for (const mime of MIMES) {
    test(`${mime}: names in add order, modes, mtimes and bytes (inline workers)`, async () => {
      const dir = join(tmp.dir, `inline${mime}`);
      mkdirSync(dir);
      await checkWithTools(dir, mime, await writeArchive(inlineWorkers(), mime, ENTRIES), ENTRIES);
    });
  }

  for (const mime of ['.tgz', '.tar.lz4'] as const) {
    test(`${mime}: blocks compressed in the worker pool`, async () => {
      const dir = join(tmp.dir, `pool${mime}`);
      mkdirSync(dir);
      const archive = await writeArchive(real, mime, ENTRIES);
      assert.ok(real.threadIds.length > 0, 'the pool was used');
      assert.ok(archive.byteLength < 5 * 1024 * 1024 / 2, 'text compressed');
      await checkWithTools(dir, mime, archive, ENTRIES);
    });
  }

  for (const mime of MIMES) {
    test(`${mime}: a streamed archive shows its first bytes before it is finished`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      let got = 0;
      w.output.on('data', (c: Uint8Array) => (got += c.byteLength));
      await w.add('b/x', textBytes(300 * 1024), 300 * 1024, MTIME_MS);
      for (let i = 0; i < 100 && got === 0; i++) await new Promise((r) => setImmediate(r)); // bounded
      assert.ok(got > 0, 'bytes out before finish');
      const ended = new Promise((r) => w.output.once('end', r));
      await w.finish();
      await ended;
    });
  }

  test('an empty archive is valid', async () => {
    for (const mime of MIMES) {
      const dir = join(tmp.dir, `empty${mime}`);
      mkdirSync(dir);
      const archive = await writeArchive(inlineWorkers(), mime, []);
      const file = join(dir, `e${mime}`);
      writeFileSync(file, archive);
      if (mime === '.zip') assert.match((await tool('unzip', ['-l', file]).catch((e: { stdout: Buffer }) => e.stdout)).toString(), /0 files|empty/);
      else assert.equal((await tool('tar', [...tarFlags(mime), '-tf', file])).toString(), '');
    }
  });
});

describe('archive writer failures', () => {
  for (const mime of MIMES) {
    test(`${mime}: a short stream fails the add and the output`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      const out = collect(w.output);
      await assert.rejects(w.add('b/short', Readable.from([Buffer.alloc(10)]), 20, MTIME_MS), /10 bytes, expected 20/);
      await assert.rejects(out, /10 bytes, expected 20/);
      await assert.rejects(w.add('b/next', Buffer.alloc(1), 1, MTIME_MS), /10 bytes, expected 20/);
      await assert.rejects(w.finish(), /10 bytes, expected 20/);
    });

    test(`${mime}: a long stream fails the add`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      const out = collect(w.output);
      await assert.rejects(w.add('b/long', Readable.from([Buffer.alloc(10), Buffer.alloc(10)]), 15, MTIME_MS), /more than 15 bytes/);
      await assert.rejects(out, /more than 15 bytes/);
    });

    test(`${mime}: a failing source stream fails the add and the output`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      const out = collect(w.output);
      const src = new Readable({ read() { this.destroy(new Error('sender died')); } });
      await assert.rejects(w.add('b/x', src, 5, MTIME_MS), /sender died/);
      await assert.rejects(out, /sender died/);
    });

    test(`${mime}: a source failing with a 400 (a corrupt shard) still fails the archive`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      const out = collect(w.output);
      const src = new Readable({ read() { this.destroy(new ErrInvalidArgument('corrupt zip: bad deflate')); } });
      await assert.rejects(w.add('b/x', src, 5, MTIME_MS), /bad deflate/);
      await assert.rejects(out, /bad deflate/);
      await assert.rejects(w.finish(), /bad deflate/);
    });

    test(`${mime}: abort ends a pending add and the output with the error`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      // Nobody reads the output: the add stalls on back-pressure until the abort.
      const pending = w.add('b/big', chunked(noiseBytes(4 * 1024 * 1024), [65536]), 4 * 1024 * 1024, MTIME_MS);
      const outErr = new Promise<Error>((resolve) => w.output.once('error', resolve));
      w.abort(new Error('client went away'));
      await assert.rejects(pending, /client went away/);
      assert.match((await outErr).message, /client went away/);
      await assert.rejects(w.add('b/after', Buffer.alloc(0), 0, MTIME_MS), /client went away/);
    });

    test(`${mime}: a reader that goes away ends a pending add`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      const pending = w.add('b/big', chunked(noiseBytes(4 * 1024 * 1024), [65536]), 4 * 1024 * 1024, MTIME_MS);
      w.output.destroy();
      await assert.rejects(pending, /output closed before the end/);
    });

    test(`${mime}: add after finish, and a size that is not the buffer's, are our bugs`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      const out = collect(w.output);
      await assert.rejects(w.add('b/x', Buffer.alloc(3), 4, MTIME_MS), InvariantError);
      await assert.rejects(out);
      const w2 = createArchiveWriter(inlineWorkers(), mime);
      void collect(w2.output);
      await w2.finish();
      await assert.rejects(w2.add('b/y', Buffer.alloc(0), 0, MTIME_MS), InvariantError);
    });

    test(`${mime}: an empty entry name is rejected`, async () => {
      const w = createArchiveWriter(inlineWorkers(), mime);
      void collect(w.output).catch(() => undefined);
      await assert.rejects(w.add('', Buffer.alloc(0), 0, MTIME_MS), (e: unknown) => e instanceof ErrInvalidArgument && /empty name/.test(e.message));
    });
  }
});

test('.zip: a name zip cannot hold is refused, and the archive goes on', async () => {
  const w = createArchiveWriter(inlineWorkers(), '.zip');
  const out = collect(w.output);
  await assert.rejects(w.add('../up', Buffer.alloc(1), 1, MTIME_MS), (e: unknown) => e instanceof ErrInvalidArgument && /^archive entry "..\/up": invalid relative path: \.\.\/up$/.test(e.message));
  await assert.rejects(w.add('/abs', Buffer.alloc(1), 1, MTIME_MS), ErrInvalidArgument);
  await w.add('b/ok', Buffer.from('ok'), 2, MTIME_MS);
  await w.finish();
  const t = tempDir();
  try {
    const file = join(t.dir, 'x.zip');
    writeFileSync(file, await out);
    assert.deepEqual((await tool('unzip', ['-Z1', file])).toString().split('\n').filter(Boolean), ['b/ok']);
  } finally {
    t.cleanup();
  }
});

describe('parseArchiveMime', () => {
  test('extensions and MIME types, as AIS', () => {
    assert.equal(parseArchiveMime(''), '.tar');
    assert.equal(parseArchiveMime('.tar'), '.tar');
    assert.equal(parseArchiveMime('tar'), '.tar');
    assert.equal(parseArchiveMime('application/x-tar'), '.tar');
    assert.equal(parseArchiveMime('.tgz'), '.tgz');
    assert.equal(parseArchiveMime('.tar.gz'), '.tar.gz');
    assert.equal(parseArchiveMime('application/tar.gz'), '.tar.gz');
    assert.equal(parseArchiveMime('.tar.lz4'), '.tar.lz4');
    assert.equal(parseArchiveMime('.zip'), '.zip');
    assert.equal(parseArchiveMime('application/zip'), '.zip');
  });

  test('unknown → ErrInvalidArgument (400)', () => {
    for (const bad of ['.rar', '.gz', '.7z', 'json']) {
      assert.throws(() => parseArchiveMime(bad), (e: unknown) => e instanceof ErrInvalidArgument && e.status === 400 && e.message === `unknown mime type "${bad}" (expecting one of .tar, .tgz, .tar.gz, .tar.lz4, .zip)`);
    }
  });
});
