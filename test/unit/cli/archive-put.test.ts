// `shoal archive put`: names inside the shard, and the shard of every format read back by the
// system tools (tar, tar -z, tar -I lz4, unzip) with exact names, order and bytes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { collectEntries, entryName, shardMime, splitSources, writeShard } from '../../../cli/commands/archive.ts';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import { runCli } from './fake-ais.ts';

const run = promisify(execFile);
let dir = '';
let src = '';
const big = randomBytes(1_500_000);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-archive-unit-'));
  src = join(dir, 'src');
  await mkdir(join(src, 'sub', 'deeper'), { recursive: true });
  await writeFile(join(src, 'b.txt'), 'bravo\n');
  await writeFile(join(src, 'a.txt'), 'alpha\n');
  await writeFile(join(src, 'sub', 'big.bin'), big);
  await writeFile(join(src, 'sub', 'deeper', 'z.txt'), '');
  await writeFile(join(dir, 'single.txt'), 'single\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('sources: comma lists split; names joined with "/"', () => {
  assert.deepEqual(splitSources(['a, b', 'c']), ['a', 'b', 'c']);
  assert.equal(entryName('', 'x/y'), 'x/y');
  assert.equal(entryName('p', 'x'), 'p/x');
  assert.equal(entryName('p/', 'x'), 'p/x');
});

test('entries: directories sorted, -r for subdirectories, --archpath, --include-src-dir, a single file renamed', async () => {
  const names = async (sources: string[], opts: Parameters<typeof collectEntries>[1]): Promise<string[]> => (await collectEntries(sources, opts)).map((e) => e.name);
  assert.deepEqual(await names([src], {}), ['a.txt', 'b.txt']);
  assert.deepEqual(await names([src], { recursive: true }), ['a.txt', 'b.txt', 'sub/big.bin', 'sub/deeper/z.txt']);
  assert.deepEqual(await names([src], { recursive: true, archpath: 'train/' }), ['train/a.txt', 'train/b.txt', 'train/sub/big.bin', 'train/sub/deeper/z.txt']);
  assert.deepEqual(await names([`${src}/`], { includeSrcDir: true }), ['src/a.txt', 'src/b.txt']);
  assert.deepEqual(await names([join(dir, 'single.txt')], { archpath: 'renamed.txt' }), ['renamed.txt']);
  assert.deepEqual(await names([join(dir, 'single.txt')], { archpath: 'd/' }), ['d/single.txt']);
  assert.deepEqual(await names([join(dir, 'single.txt'), join(src, 'a.txt')], { archpath: 'p' }), ['p/single.txt', 'p/a.txt']);
  const e = (await collectEntries([join(src, 'sub', 'big.bin')], {}))[0]!;
  assert.equal(e.size, big.length);
});

test('entries: bad sources are usage errors', async () => {
  const bad = async (sources: string[], re: RegExp): Promise<void> => {
    await assert.rejects(collectEntries(sources, {}), (e: Error) => e instanceof ErrInvalidArgument && re.test(e.message), sources.join(','));
  };
  await bad([], /nothing to archive/);
  await bad([join(dir, 'nope')], /does not exist/);
  await bad([join(src, 'sub', 'deeper'), join(src, 'sub', 'deeper')], /two files would be named "z\.txt"/);
  await mkdir(join(dir, 'empty'), { recursive: true });
  await bad([join(dir, 'empty')], /no files in .* \(use -r for subdirectories\)/);
});

test('shard format from the destination name', () => {
  const obj = (objName: string) => ({ bck: { name: 'b', provider: 'ais' }, objName });
  assert.equal(shardMime(obj('s.tar')), '.tar');
  assert.equal(shardMime(obj('d/s.TGZ')), '.tgz');
  assert.equal(shardMime(obj('s.tar.gz')), '.tar.gz');
  assert.equal(shardMime(obj('s.tar.lz4')), '.tar.lz4');
  assert.equal(shardMime(obj('s.zip')), '.zip');
  assert.throws(() => shardMime(obj('s.gz')), (e: Error) => e instanceof ErrInvalidArgument && /must end with/.test(e.message));
});

const LIST: Record<string, string[]> = {
  '.tar': ['tar', '-tf'],
  '.tgz': ['tar', '-tzf'],
  '.tar.gz': ['tar', '-tzf'],
  '.tar.lz4': ['tar', '-I', 'lz4', '-tf'],
};
const EXTRACT: Record<string, (file: string, to: string) => string[]> = {
  '.tar': (f, to) => ['tar', '-xf', f, '-C', to],
  '.tgz': (f, to) => ['tar', '-xzf', f, '-C', to],
  '.tar.gz': (f, to) => ['tar', '-xzf', f, '-C', to],
  '.tar.lz4': (f, to) => ['tar', '-I', 'lz4', '-xf', f, '-C', to],
  '.zip': (f, to) => ['unzip', '-q', f, '-d', to],
};

for (const mime of ['.tar', '.tgz', '.tar.gz', '.tar.lz4', '.zip'] as const) {
  test(`shard ${mime}: system tools list the entries in order and extract the same bytes`, async () => {
    const entries = await collectEntries([src], { recursive: true, archpath: 'p/' });
    const file = join(dir, `shard${mime}`);
    await writeShard(entries, mime, file);
    const listCmd = LIST[mime];
    const listed = listCmd
      ? (await run(listCmd[0]!, [...listCmd.slice(1), file])).stdout.trim().split('\n')
      : (await run('unzip', ['-Z1', file])).stdout.trim().split('\n');
    assert.deepEqual(listed, ['p/a.txt', 'p/b.txt', 'p/sub/big.bin', 'p/sub/deeper/z.txt']);
    const to = join(dir, `x${mime}`);
    await mkdir(to);
    const [cmd, ...args] = EXTRACT[mime]!(file, to);
    await run(cmd!, args);
    assert.equal(await readFile(join(to, 'p', 'a.txt'), 'utf8'), 'alpha\n');
    assert.ok((await readFile(join(to, 'p', 'sub', 'big.bin'))).equals(big));
    assert.equal((await readFile(join(to, 'p', 'sub', 'deeper', 'z.txt'))).length, 0);
  });
}

test('archive put --dry-run prints the plan and sends nothing; bad destinations are usage errors', async () => {
  const unused = 'http://127.0.0.1:9'; // nothing is sent
  const r = await runCli(unused, 'archive', 'put', src, 'ais://b/s.tar', '--dry-run');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `[DRY RUN] ${join(src, 'a.txt')} => ais://b/s.tar/a.txt\n[DRY RUN] ${join(src, 'b.txt')} => ais://b/s.tar/b.txt\n`);
  const bad = await runCli(unused, 'archive', 'put', src, 'ais://b/s.rar');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /must end with \.tar/);
  const one = await runCli(unused, 'archive', 'put', 'ais://b/s.tar');
  assert.equal(one.code, 2);
  assert.match(one.err, /expected SRC\.\.\. DST/);
});
