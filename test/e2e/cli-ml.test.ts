// `shoal archive put` and `shoal ml get-batch` end to end: the real CLI as a child process against a
// real 1-proxy/3-target cluster; specs in YAML and JSON (file, inline, stdin), names from --list and
// --template, multipart and --streaming, .zip, stdout, --cont-on-err, and 429 retried by the client.
// Every archive is checked with the system tar/unzip/lz4 only.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startLocalCluster } from '../../deploy/local/cluster.ts';
import { assertArchive, type ExpectedEntry } from '../support/archive-read.ts';
import { CLI_BIN } from '../support/cli-run.ts';
import { http, sleep } from '../support/cluster-helpers.ts';

const A = 'ais://e2e-ml-a';
const B = 'ais://e2e-ml-b';
const STDOUT_BYTES_MAX = 64 * 1024 * 1024;
/** Polls for a config change to reach the targets (metasync is asynchronous). */
const CONFIG_POLLS_MAX = 100;
const CONFIG_POLL_MS = 100;

type Cluster = Awaited<ReturnType<typeof startLocalCluster>>;
let cluster: Cluster;
let dir = '';
const objs = new Map<string, Buffer>();
const shardFiles = new Map<string, Buffer>();

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function shoal(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI_BIN, ...args],
      { cwd: dir, env: { ...process.env, AIS_ENDPOINT: cluster.proxyUrl }, encoding: 'buffer', maxBuffer: STDOUT_BYTES_MAX },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        resolve({ code, stdout, stderr: stderr.toString() });
      },
    );
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await shoal(args);
  assert.equal(r.code, 0, `shoal ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.toString();
}

const name = (uri: string): string => uri.replace('ais://', '');
const obj = (bck: string, o: string): ExpectedEntry => ({ name: `${name(bck)}/${o}`, data: objs.get(`${name(bck)}/${o}`)! });
const file = (bck: string, shard: string, f: string): ExpectedEntry => ({ name: `${name(bck)}/${shard}/${f}`, data: shardFiles.get(`${shard}/${f}`)! });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-cli-ml-e2e-'));
  cluster = await startLocalCluster({ dir: join(dir, 'cluster'), targets: 3 });
  await ok('bucket', 'create', A);
  await ok('bucket', 'create', B);
  await mkdir(join(dir, 'objs'));
  for (const [bck, names] of [[A, ['o-0.bin', 'o-1.bin', 'o-2.bin', 'o-3.bin', 'big.bin']], [B, ['p/q.bin', 'r.bin']]] as const) {
    for (const o of names) {
      const bytes = randomBytes(o === 'big.bin' ? 3 * 1024 * 1024 + 5 : 1000 + o.length * 77);
      objs.set(`${name(bck)}/${o}`, bytes);
      const f = join(dir, 'objs', o.replace('/', '_'));
      await writeFile(f, bytes);
      await ok('put', f, `${bck}/${o}`);
    }
  }
  // One shard per format, all from the same tree.
  await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
  for (const [f, size] of [['x.txt', 40], ['sub/y.bin', 200_000], ['sub/z.bin', 0]] as const) {
    const bytes = randomBytes(size);
    await writeFile(join(dir, 'tree', f), bytes);
    for (const ext of ['.tar', '.tgz', '.tar.lz4', '.zip']) shardFiles.set(`sh/s${ext}/${f}`, bytes);
  }
  for (const ext of ['.tar', '.tgz', '.tar.lz4', '.zip']) {
    assert.match(await ok('archive', 'put', '-r', join(dir, 'tree'), `${A}/sh/s${ext}`), new RegExp(`Archived 3 files .* => ais://e2e-ml-a/sh/s${ext.replace(/\./g, '\\.')}`));
  }
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('archive put: the shards are objects the system tools read', async () => {
  await ok('get', `${A}/sh/s.tar.lz4`, 'got.tar.lz4');
  // A directory's files go in sorted by name, as `ais archive put` walks it.
  await assertArchive(join(dir, 'got.tar.lz4'), '.tar.lz4', ['sub/y.bin', 'sub/z.bin', 'x.txt'].map((f) => ({ name: f, data: shardFiles.get(`sh/s.tar.lz4/${f}`)! })), 'shard');
});

test('YAML spec file, multipart .tar: items across two buckets, shard members, a range; summary printed', async () => {
  const spec = [
    'in:',
    '  - {objname: o-2.bin, bucket: e2e-ml-a}',
    '  - {objname: p/q.bin, bucket: e2e-ml-b}',
    '  - {objname: sh/s.tgz, bucket: e2e-ml-a, archpath: sub/y.bin}',
    '  - {objname: sh/s.zip, bucket: e2e-ml-a, archpath: x.txt}',
    '  - {objname: big.bin, bucket: e2e-ml-a, start: 1000000, length: 4096}',
    '  - {objname: sh/s.tar.lz4, bucket: e2e-ml-a, archpath: sub/z.bin}',
  ].join('\n');
  await writeFile(join(dir, 'batch.yaml'), spec);
  const out = await ok('ml', 'get-batch', 'b1.tar', '--spec', 'batch.yaml');
  assert.match(out, /^Created ML batch archive b1\.tar with 6 objects \(\d+\.\d\dKiB\)\n$/);
  const big = obj(A, 'big.bin');
  await assertArchive(join(dir, 'b1.tar'), '.tar', [
    obj(A, 'o-2.bin'),
    obj(B, 'p/q.bin'),
    file(A, 'sh/s.tgz', 'sub/y.bin'),
    file(A, 'sh/s.zip', 'x.txt'),
    { name: big.name, data: big.data.subarray(1_000_000, 1_000_000 + 4096) },
    file(A, 'sh/s.tar.lz4', 'sub/z.bin'),
  ], 'yaml multipart');
});

test('JSON spec file with --streaming: .tar.lz4 as it is assembled; the destination picks the format', async () => {
  const spec = { mime: '.tar', in: [{ objname: 'r.bin', bucket: 'e2e-ml-b' }, { objname: 'big.bin', bucket: 'e2e-ml-a' }, { objname: 'sh/s.tar', bucket: 'e2e-ml-a', archpath: 'sub/y.bin', start: 10, length: -1 }] };
  await writeFile(join(dir, 'batch.json'), JSON.stringify(spec));
  const r = await shoal(['ml', 'get-batch', 'b2.tar.lz4', '--spec', 'batch.json', '--streaming']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Warning: output format \.tar\.lz4 in the command line takes precedence \(over --spec "mime": "\.tar"\)/);
  assert.match(r.stdout.toString(), /^Streamed 3 objects to b2\.tar\.lz4 \(/);
  const y = file(A, 'sh/s.tar', 'sub/y.bin');
  await assertArchive(join(dir, 'b2.tar.lz4'), '.tar.lz4', [obj(B, 'r.bin'), obj(A, 'big.bin'), { name: y.name, data: y.data.subarray(10) }], 'json streaming');
});

test('inline JSON and YAML on stdin; .tgz; --omit-src-bck', async () => {
  await ok('ml', 'get-batch', 'b3.tgz', '--omit-src-bck', '--spec', '{"in":[{"objname":"o-1.bin","bucket":"e2e-ml-a"},{"objname":"sh/s.zip","bucket":"e2e-ml-a","archpath":"sub/y.bin"}]}');
  await assertArchive(join(dir, 'b3.tgz'), '.tgz', [
    { name: 'o-1.bin', data: objs.get('e2e-ml-a/o-1.bin')! },
    { name: 'sh/s.zip/sub/y.bin', data: shardFiles.get('sh/s.zip/sub/y.bin')! },
  ], 'inline onob');
  const r = await shoal(['ml', 'get-batch', 'b4.tar.gz', '--spec', '-'], 'in:\n  - objname: p/q.bin\n    bucket: e2e-ml-b\n');
  assert.equal(r.code, 0, r.stderr);
  await assertArchive(join(dir, 'b4.tar.gz'), '.tar.gz', [obj(B, 'p/q.bin')], 'stdin yaml');
});

test('a .zip from --list with a default bucket (members by BUCKET/shard/path too)', async () => {
  await ok('ml', 'get-batch', A, 'b5.zip', '--list', 'o-3.bin, sh/s.tgz/x.txt, o-0.bin');
  await assertArchive(join(dir, 'b5.zip'), '.zip', [obj(A, 'o-3.bin'), file(A, 'sh/s.tgz', 'x.txt'), obj(A, 'o-0.bin')], 'zip list');
  const r = await shoal(['ml', 'get-batch', A, 'b6.zip', '--list', 'o-0.bin', '--streaming']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\.zip cannot be streamed/);
});

test('--template in the bucket argument, and a single BUCKET/shard/member', async () => {
  await ok('ml', 'get-batch', `${A}/o-{1..3}.bin`, 'b7.tar');
  await assertArchive(join(dir, 'b7.tar'), '.tar', [obj(A, 'o-1.bin'), obj(A, 'o-2.bin'), obj(A, 'o-3.bin')], 'template');
  // As `ais` (CheckIsRange): a template must have a range.
  const noRange = await shoal(['ml', 'get-batch', B, 'b8.tar', '--template', 'p/q.bin']);
  assert.equal(noRange.code, 2);
  assert.match(noRange.stderr, /template "p\/q\.bin": no range/);
  await ok('ml', 'get-batch', `${A}/sh/s.tar.lz4/sub/y.bin`, 'b9.tar');
  await assertArchive(join(dir, 'b9.tar'), '.tar', [file(A, 'sh/s.tar.lz4', 'sub/y.bin')], 'single member');
});

test('"-" writes the archive to stdout and the summary to stderr', async () => {
  const r = await shoal(['ml', 'get-batch', A, '-', '--list', 'o-0.bin,o-1.bin']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Created ML batch archive \(standard output\) with 2 objects/);
  await assertArchive(r.stdout, '.tar', [obj(A, 'o-0.bin'), obj(A, 'o-1.bin')], 'stdout');
  const s = await shoal(['ml', 'get-batch', A, '-', '--list', 'o-2.bin', '--streaming', '--non-verbose']);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.stderr, '');
  await assertArchive(s.stdout, '.tar', [obj(A, 'o-2.bin')], 'stdout streamed');
});

test('missing items: --cont-on-err lists them and writes __404__/ entries; without it the command fails and leaves no file', async () => {
  const out = await ok('ml', 'get-batch', A, 'c1.tar', '--list', 'o-0.bin,nope.bin,sh/s.zip/nope.txt', '--cont-on-err');
  assert.match(out, /^Created ML batch archive c1\.tar with 3 objects \(.*, 2 missing\)\n/);
  assert.match(out, /\n  ais:\/\/e2e-ml-a\/nope\.bin: .+\n/);
  assert.match(out, /\n  ais:\/\/e2e-ml-a\/sh\/s\.zip\/nope\.txt: .+\n/);
  const empty = Buffer.alloc(0);
  await assertArchive(join(dir, 'c1.tar'), '.tar', [obj(A, 'o-0.bin'), { name: '__404__/e2e-ml-a/nope.bin', data: empty }, { name: '__404__/e2e-ml-a/sh/s.zip/nope.txt', data: empty }], 'coer');
  const r = await shoal(['ml', 'get-batch', A, 'c2.tar', '--list', 'o-0.bin,nope.bin']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: .*nope\.bin/);
  assert.equal(existsSync(join(dir, 'c2.tar')), false);
  const s = await shoal(['ml', 'get-batch', A, 'c3.tar', '--list', 'o-0.bin,big.bin,nope.bin', '--streaming']);
  assert.equal(s.code, 1, 'a streamed batch that fails midway fails the command');
  assert.equal(existsSync(join(dir, 'c3.tar')), false, 'and leaves no partial file');
});

// ---- 429 ----

async function setConfig(kv: Record<string, string>): Promise<void> {
  const q = new URLSearchParams(kv).toString();
  const r = await http(`${cluster.proxyUrl}/v1/cluster/set-config?${q}`, { method: 'PUT' });
  assert.equal(r.status, 200, `set-config ${q}: ${r.status} ${r.text}`);
}

/** All on one DT (coloc 1: the target owning most items): the hold and the CLI meet there. */
const HOLD_REQ = { coloc: 1, in: [{ objname: 'o-0.bin', bucket: 'e2e-ml-a' }] };

/** The proxy's answer to a GetBatch, redirect not followed: 307 (work item held at the DT) or 429. */
async function begin(): Promise<{ status: number; location: string | null }> {
  const r = await http(`${cluster.proxyUrl}/v1/ml/moss`, { body: HOLD_REQ });
  return { status: r.status, location: r.headers.get('location') };
}

/** The client comes for a held work item: it runs to its end and frees its slot. */
async function release(location: string): Promise<void> {
  const r = await http(location, { body: HOLD_REQ });
  assert.equal(r.status, 200, `follow ${location}: ${r.status} ${r.text}`);
}

test('429: the CLI retries with back-off and succeeds once the designated target has room', async () => {
  await setConfig({ 'get_batch.max_work_items': '1' });
  let held: string | undefined;
  try {
    // Until the new limit reached the targets: one work item held, a second one refused.
    for (let i = 0; i < CONFIG_POLLS_MAX && held === undefined; i++) {
      const first = await begin();
      assert.equal(first.status, 307, `first begin: ${first.status}`);
      const second = await begin();
      if (second.status === 429) held = first.location!;
      else {
        await release(second.location!);
        await release(first.location!);
        await sleep(CONFIG_POLL_MS);
      }
    }
    assert.ok(held !== undefined, 'max_work_items=1 never took effect');
    await writeFile(join(dir, 'busy.json'), JSON.stringify({ ...HOLD_REQ, in: [{ objname: 'o-0.bin', bucket: 'e2e-ml-a' }] }));
    const child = spawn(process.execPath, [CLI_BIN, 'ml', 'get-batch', 'busy.tar', '--spec', 'busy.json'], { cwd: dir, env: { ...process.env, AIS_ENDPOINT: cluster.proxyUrl } });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    // Release the held work item only once the CLI was refused at least once.
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (/retry 1\/6/.test(stderr)) resolve();
      });
      void exited.then((code) => reject(new Error(`CLI exited (${code}) before its first retry: ${stderr}`)));
    });
    await release(held);
    held = undefined;
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /GetBatch: 429 \(cluster busy\), retry 1\/6 in 250 ms/);
    assert.match(stdout, /Created ML batch archive busy\.tar with 1 objects/);
    await assertArchive(join(dir, 'busy.tar'), '.tar', [obj(A, 'o-0.bin')], '429 then ok');
  } finally {
    if (held !== undefined) await release(held);
    await setConfig({ 'get_batch.max_work_items': '256' });
  }
});

test('429: retries are bounded, then the cluster\'s error is the command\'s', async () => {
  await setConfig({ 'get_batch.max_work_items': '0' });
  try {
    let refused = false;
    for (let i = 0; i < CONFIG_POLLS_MAX && !refused; i++) {
      const b = await begin();
      if (b.status === 429) refused = true;
      else {
        await release(b.location!);
        await sleep(CONFIG_POLL_MS);
      }
    }
    assert.ok(refused, 'max_work_items=0 never took effect');
    const r = await shoal(['ml', 'get-batch', A, 'never.tar', '--list', 'o-0.bin']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /retry 6\/6 in \d+ ms/);
    assert.doesNotMatch(r.stderr, /retry 7\//);
    assert.match(r.stderr, /Error: x-moss: t\[\w+\] rejected work item .*max 0/);
    assert.equal(existsSync(join(dir, 'never.tar')), false);
  } finally {
    await setConfig({ 'get_batch.max_work_items': '256' });
  }
});
