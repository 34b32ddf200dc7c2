// The real `shoal` CLI as a child process against a real local cluster (1 proxy, 3 targets).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startLocalCluster } from '../../deploy/local/cluster.ts';

const BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
/** Big enough for several socket writes, small enough for a quick test. */
const BIG_SIZE_BYTES = 3 * 1024 * 1024 + 123;
const STDOUT_BYTES_MAX = 64 * 1024 * 1024;
const BCK = 'ais://e2e-cli';

type Cluster = Awaited<ReturnType<typeof startLocalCluster>>;
let cluster: Cluster;
let dir = '';
let big: Buffer;

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `shoal ARGS` in `dir`; never rejects, so tests can assert on failures. */
function shoal(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: dir, env: { ...process.env, AIS_ENDPOINT: cluster.proxyUrl }, encoding: 'buffer', maxBuffer: STDOUT_BYTES_MAX },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
        resolve({ code, stdout, stderr: stderr.toString() });
      },
    );
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await shoal(...args);
  assert.equal(r.code, 0, `shoal ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.toString();
}

/** Names in the first column of an `ls` table (header skipped). */
function names(lsOut: string): string[] {
  return lsOut
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/)[0]!);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-e2e-'));
  cluster = await startLocalCluster({ dir: join(dir, 'cluster'), targets: 3, mountpathsPerTarget: 2 });
  big = randomBytes(BIG_SIZE_BYTES);
  await writeFile(join(dir, 'big.bin'), big);
  await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
  await writeFile(join(dir, 'tree', 'a.txt'), 'alpha\n');
  await writeFile(join(dir, 'tree', 'b.txt'), 'bravo\n');
  await writeFile(join(dir, 'tree', 'sub', 'c.txt'), 'charlie\n');
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('show cluster lists 1 proxy and 3 targets', async () => {
  const out = await ok('show', 'cluster');
  const proxies = cluster.nodes.filter((n) => n.role === 'proxy');
  const targets = cluster.nodes.filter((n) => n.role === 'target');
  assert.equal(proxies.length, 1);
  assert.equal(targets.length, 3);
  for (const n of cluster.nodes) assert.ok(out.includes(`[${n.id}]`), `node ${n.id} missing from:\n${out}`);
  assert.ok(out.includes(`p[${proxies[0]!.id}][P]`), 'primary marked');
  assert.match(out, /Proxies: 1\tTargets: 3/);
  assert.equal(out.split('\n').filter((l) => /\btarget\b/.test(l) && l.startsWith('t[')).length, 3);
  const bmd = JSON.parse(await ok('show', 'cluster', 'bmd')) as { version?: unknown };
  assert.ok(bmd.version !== undefined);
});

test('bucket create, then bucket ls and ls show it', async () => {
  assert.equal(await ok('bucket', 'create', BCK), `"${BCK}" created\n`);
  assert.ok(names(await ok('bucket', 'ls')).includes(BCK));
  assert.ok(names(await ok('ls')).includes(BCK));
  const dup = await shoal('bucket', 'create', BCK);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /^Error: .*e2e-cli/);
});

test('put a file and a tree, list with prefix and --nr', async () => {
  assert.match(await ok('put', join(dir, 'big.bin'), `${BCK}/data/big.bin`), /PUT .*big\.bin" => ais:\/\/e2e-cli\/data\/big\.bin/);
  await ok('put', '-r', join(dir, 'tree'), `${BCK}/data`);
  await ok('put', join(dir, 'tree', 'a.txt'), BCK); // OBJ defaults to the basename
  await ok('put', '--compute-checksum', join(dir, 'tree', 'b.txt'), `${BCK}/cks/b.txt`);

  assert.deepEqual(names(await ok('ls', BCK)), ['a.txt', 'cks/b.txt', 'data/a.txt', 'data/b.txt', 'data/big.bin', 'data/sub/c.txt']);
  const byPrefix = await ok('ls', BCK, '--prefix', 'data/');
  assert.deepEqual(names(byPrefix), ['data/a.txt', 'data/b.txt', 'data/big.bin', 'data/sub/c.txt']);
  assert.match(byPrefix, /data\/big\.bin\s+3\.00MiB/);
  assert.deepEqual(names(await ok('ls', `${BCK}/data/sub`)), ['data/sub/c.txt']);
  const nr = names(await ok('ls', `${BCK}/data/`, '--nr'));
  assert.ok(nr.includes('data/a.txt') && nr.includes('data/big.bin'), nr.join(','));
  assert.ok(nr.includes('data/sub/'), `no directory entry in ${nr.join(',')}`);
  assert.ok(!nr.includes('data/sub/c.txt'));
  assert.deepEqual(names(await ok('ls', BCK, '--page-size', '2')), names(await ok('ls', BCK)));
  assert.equal(names(await ok('ls', BCK, '--limit', '3')).length, 3);
});

test('object show reports size, checksum, atime, version', async () => {
  const out = await ok('object', 'show', `${BCK}/data/big.bin`);
  assert.match(out, /^name\s+ais:\/\/e2e-cli\/data\/big\.bin$/m);
  assert.match(out, /^size\s+3\.00MiB$/m);
  assert.match(out, /^checksum\s+xxhash2\[[0-9a-f]{16}\]$/m);
  assert.match(out, /^atime\s+\d\d \w{3} \d\d \d\d:\d\d UTC$/m);
  assert.match(out, /^version\s+\S+$/m);
});

test('get is byte-exact, to a file, to stdout, and with --offset/--length', async () => {
  await ok('get', `${BCK}/data/big.bin`, 'out.bin');
  assert.ok((await readFile(join(dir, 'out.bin'))).equals(big));
  await ok('get', `${BCK}/data/sub/c.txt`); // default DST = basename
  assert.equal(await readFile(join(dir, 'c.txt'), 'utf8'), 'charlie\n');
  const piped = await shoal('get', `${BCK}/data/big.bin`, '-');
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(piped.stdout.equals(big));
  await ok('get', `${BCK}/data/big.bin`, 'range.bin', '--offset', '1000000', '--length', '4096');
  assert.ok((await readFile(join(dir, 'range.bin'))).equals(big.subarray(1_000_000, 1_000_000 + 4096)));
  const tail = await shoal('get', `${BCK}/data/big.bin`, '-', '--offset', String(BIG_SIZE_BYTES - 10));
  assert.ok(tail.stdout.equals(big.subarray(BIG_SIZE_BYTES - 10)));
});

test('get of a missing object fails with the message on stderr', async () => {
  const r = await shoal('get', `${BCK}/no/such/object`, 'never.bin');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: .+/);
  assert.match(r.stderr, /no\/such\/object|does not exist|not found/i);
  await assert.rejects(readFile(join(dir, 'never.bin')), { code: 'ENOENT' });
  const show = await shoal('object', 'show', `${BCK}/no/such/object`);
  assert.equal(show.code, 1);
  assert.match(show.stderr, /^Error: .+/);
});

test('rm deletes objects', async () => {
  assert.equal(await ok('rm', `${BCK}/a.txt`, `${BCK}/cks/b.txt`), `deleted "a.txt" from ${BCK}\ndeleted "cks/b.txt" from ${BCK}\n`);
  assert.ok(!names(await ok('ls', BCK)).includes('a.txt'));
  assert.equal((await shoal('get', `${BCK}/a.txt`, '-')).code, 1);
  await ok('object', 'rm', `${BCK}/data/b.txt`);
  assert.deepEqual(names(await ok('ls', BCK, '--prefix', 'data/b.')), []);
});

test('bucket props set checksum.type=md5, then show', async () => {
  assert.match(await ok('bucket', 'props', 'show', BCK), /^checksum\.type\s+xxhash2$/m);
  await ok('bucket', 'props', 'set', BCK, 'checksum.type=md5', 'mirror.copies=3');
  const shown = await ok('bucket', 'props', 'show', BCK, 'checksum');
  assert.match(shown, /^checksum\.type\s+md5$/m);
  assert.ok(shown.split('\n').slice(1).filter((l) => l !== '').every((l) => l.startsWith('checksum.')));
  assert.match(await ok('bucket', 'props', 'show', BCK), /^mirror\.copies\s+3$/m);
  // New objects take the bucket's checksum type.
  await ok('put', join(dir, 'tree', 'a.txt'), `${BCK}/md5.txt`);
  assert.match(await ok('object', 'show', `${BCK}/md5.txt`), /^checksum\s+md5\[[0-9a-f]{32}\]$/m);
  await ok('bucket', 'props', 'reset', BCK);
  assert.match(await ok('bucket', 'props', 'show', BCK, 'checksum.type'), /^checksum\.type\s+xxhash2$/m);
});

test('bucket rm destroys the bucket', async () => {
  assert.equal(await ok('bucket', 'rm', BCK, '-y'), `"${BCK}" destroyed\n`);
  assert.ok(!names(await ok('bucket', 'ls')).includes(BCK));
  const r = await shoal('ls', BCK);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: .+/);
});
