// Real, unmodified S3 clients against a live local cluster's S3 API (`<proxy>/s3`, path style, auth
// off): aws CLI, s3cmd, boto3, rclone and @aws-sdk/client-s3 with its default checksum settings.
// Each client makes a bucket, puts, lists, gets (bytes compared), range-gets, uploads 20 MiB as
// 4 × 5 MiB multipart, presigns a GET, deletes and removes its bucket. Beyond that: aws syncs a tree
// (a second sync uploads nothing) and copies S3→S3 (UploadPartCopy); s3cmd and rclone copy
// server-side; boto3 (test/e2e/s3/boto3_e2e.py) covers conditional GETs, response-* overrides, odd
// keys, versions, UploadPartCopy and DeleteObjects; the last part runs aws at the root (S3-API-via-Root).
// With auth on: s3-clients-auth.test.ts. A client whose binary is missing is skipped with a message
// (.ci/run installs them all). Debugging: SHOAL_E2E_KEEP=1 keeps the temp dir (node logs under
// cluster/); a failure quotes the exact command and its stderr: rerun it with --debug / -d / -vv.
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startLocalCluster, type LocalCluster } from '../../deploy/local/cluster.ts';
import {
  ACCESS_KEY,
  BIN,
  PART_SIZE_BYTES,
  REGION,
  SECRET_KEY,
  TREE_FILES,
  assertFails,
  assertOk,
  awsClient,
  boto3Env,
  describeRun,
  fetchBytes,
  makeFixtures,
  md5,
  multipartEtag,
  rcloneClient,
  run,
  s3cmdClient,
  sha256,
  skipUnless,
  type ClientRunner,
  type Fixtures,
  type Run,
  clientHome,
  stopAndClean,
} from './s3/harness.ts';

const BOTO3_SCRIPT = fileURLToPath(new URL('./s3/boto3_e2e.py', import.meta.url));
const PRESIGN_EXPIRES_S = 300;
/** A range that crosses the first 5 MiB part boundary of the multipart object. */
const CROSS_PART_RANGE = { start: PART_SIZE_BYTES - 1000, end: PART_SIZE_BYTES + 999 };

let cluster: LocalCluster;
/** False until the cluster is up: then after() keeps the node logs. */
let started = false;
let dir = '';
let fx: Fixtures;
/** `<proxy>/s3`: the endpoint every client is given. */
let endpoint = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-s3-e2e-'));
  cluster = await startLocalCluster({ dir: join(dir, 'cluster'), targets: 3, mountpathsPerTarget: 2 });
  started = true;
  endpoint = `${cluster.proxyUrl}/s3`;
  fx = await makeFixtures(join(dir, 'data'));
});

after(() => stopAndClean(cluster, dir, started));


async function readTree(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    out.set(relative(root, abs).split('\\').join('/'), await readFile(abs));
  }
  return out;
}

function assertSameTree(got: Map<string, Buffer>, want: Map<string, Buffer>, what: string): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: file names differ`);
  for (const [k, v] of want) assert.ok(got.get(k)!.equals(v), `${what}: ${k} differs`);
}

async function assertPresignedGet(url: string, want: Buffer, what: string): Promise<void> {
  const u = new URL(url);
  assert.equal(u.origin, cluster.proxyUrl, `${what}: presigned URL ${url} should point at the proxy`);
  const r = await fetchBytes(url);
  assert.equal(r.status, 200, `${what}: GET ${url} → ${r.status}: ${r.text}`);
  assert.ok(r.body.equals(want), `${what}: presigned GET body differs (${r.body.length} bytes, want ${want.length})`);
}

// ---------------------------------------------------------------------------------------------------
describe('aws CLI (/usr/bin/aws)', { skip: skipUnless(BIN.aws, 'aws CLI') }, () => {
  const B = 'e2e-aws';
  let c: ClientRunner;
  let work = '';
  const aws = (...args: string[]): Promise<Run> => c.run(...args);
  const awsOk = (...args: string[]): Promise<string> => c.ok(...args);

  before(async () => {
    c = await awsClient(await clientHome(dir, 'aws'), endpoint);
    work = c.work;
  });

  test('s3 mb makes the bucket; s3 ls lists it', async () => {
    assert.match(await awsOk('s3', 'mb', `s3://${B}`), new RegExp(`make_bucket: ${B}`));
    assert.match(await awsOk('s3', 'ls'), new RegExp(` ${B}$`, 'm'));
    await awsOk('s3api', 'head-bucket', '--bucket', B);
  });

  test('s3 cp puts a file; s3 ls and list-objects-v2 show it', async () => {
    await awsOk('s3', 'cp', fx.smallPath, `s3://${B}/dir/small.bin`);
    assert.match(await awsOk('s3', 'ls', `s3://${B}/dir/`), new RegExp(`\\s${fx.small.length} small\\.bin$`, 'm'));
    assert.match(await awsOk('s3', 'ls', `s3://${B}`), /PRE dir\/$/m);
    const listed = JSON.parse(await awsOk('s3api', 'list-objects-v2', '--bucket', B)) as { Contents?: { Key: string; Size: number; ETag: string }[] };
    assert.deepEqual(listed.Contents?.map((c) => [c.Key, c.Size, c.ETag]), [['dir/small.bin', fx.small.length, `"${md5(fx.small)}"`]]);
    const head = JSON.parse(await awsOk('s3api', 'head-object', '--bucket', B, '--key', 'dir/small.bin')) as { ContentLength: number; ETag: string };
    assert.equal(head.ContentLength, fx.small.length);
    assert.equal(head.ETag, `"${md5(fx.small)}"`, 'ETag is the quoted MD5 of the body');
  });

  test('s3 cp gets the file back byte for byte', async () => {
    const out = join(work, 'small.out');
    await awsOk('s3', 'cp', `s3://${B}/dir/small.bin`, out);
    assert.ok((await readFile(out)).equals(fx.small), 'downloaded bytes differ');
  });

  test('s3api get-object --range returns exactly the range', async () => {
    const out = join(work, 'range.out');
    const r = JSON.parse(await awsOk('s3api', 'get-object', '--bucket', B, '--key', 'dir/small.bin', '--range', 'bytes=1000-1999', out)) as {
      ContentLength: number;
      ContentRange: string;
    };
    assert.equal(r.ContentLength, 1000);
    assert.equal(r.ContentRange, `bytes 1000-1999/${fx.small.length}`);
    assert.ok((await readFile(out)).equals(fx.small.subarray(1000, 2000)), 'range bytes differ');
  });

  test('s3 cp of 20 MiB is a 4-part multipart upload; it reads back whole and by range', async () => {
    await awsOk('s3', 'cp', fx.bigPath, `s3://${B}/big.bin`);
    const head = JSON.parse(await awsOk('s3api', 'head-object', '--bucket', B, '--key', 'big.bin')) as { ContentLength: number; ETag: string };
    assert.equal(head.ContentLength, fx.big.length);
    assert.equal(head.ETag, `"${multipartEtag(fx.big, PART_SIZE_BYTES)}"`, 'multipart ETag = md5 of the part md5s, -4');
    // the download is itself 4 concurrent ranged GETs (chunksize 5 MiB)
    const out = join(work, 'big.out');
    await awsOk('s3', 'cp', `s3://${B}/big.bin`, out);
    assert.equal(sha256(await readFile(out)), sha256(fx.big), 'downloaded 20 MiB differs');
    const { start, end } = CROSS_PART_RANGE;
    const rout = join(work, 'big.range');
    await awsOk('s3api', 'get-object', '--bucket', B, '--key', 'big.bin', '--range', `bytes=${start}-${end}`, rout);
    assert.ok((await readFile(rout)).equals(fx.big.subarray(start, end + 1)), 'range across the part boundary differs');
  });

  test('s3 cp S3→S3 of 20 MiB is a multipart copy (GetObjectTagging, UploadPartCopy); s3 mv moves it', async () => {
    await awsOk('s3', 'cp', `s3://${B}/big.bin`, `s3://${B}/big-copy.bin`);
    const head = JSON.parse(await awsOk('s3api', 'head-object', '--bucket', B, '--key', 'big-copy.bin')) as { ContentLength: number; ETag: string };
    assert.equal(head.ContentLength, fx.big.length);
    assert.match(head.ETag, /-4"$/, 'the copy is a 4-part multipart object');
    await awsOk('s3', 'mv', `s3://${B}/big-copy.bin`, `s3://${B}/moved/big.bin`);
    const out = join(work, 'moved.out');
    await awsOk('s3', 'cp', `s3://${B}/moved/big.bin`, out);
    assert.equal(sha256(await readFile(out)), sha256(fx.big), 'copied-then-moved 20 MiB differs');
    assertFails(await aws('s3api', 'head-object', '--bucket', B, '--key', 'big-copy.bin'), /\(404\)/);
    await awsOk('s3', 'rm', `s3://${B}/moved/big.bin`);
  });

  test('s3 sync uploads a tree of 50 files, a second sync uploads nothing, a changed file alone goes again', async () => {
    const first = await awsOk('s3', 'sync', fx.treeDir, `s3://${B}/tree`);
    assert.equal(first.split('\n').filter((l) => l.startsWith('upload:')).length, TREE_FILES, `first sync:\n${first}`);
    const ls = await awsOk('s3', 'ls', '--recursive', `s3://${B}/tree/`);
    assert.equal(ls.trim().split('\n').length, TREE_FILES, `listing after sync:\n${ls}`);
    const second = await awsOk('s3', 'sync', fx.treeDir, `s3://${B}/tree`);
    assert.equal(second.trim(), '', `second sync should upload nothing, it printed:\n${second}`);
    // a different size is a change for sync whatever the clocks say
    const changed = 'alpha/file-01.dat';
    const copy = join(work, 'tree-copy');
    await awsOk('s3', 'sync', `s3://${B}/tree`, copy);
    assertSameTree(await readTree(copy), fx.tree, 'sync down');
    await writeFile(join(copy, changed), Buffer.concat([fx.tree.get(changed)!, Buffer.from('more')]));
    const third = await awsOk('s3', 'sync', copy, `s3://${B}/tree`);
    assert.deepEqual(
      third.split('\n').filter((l) => l.startsWith('upload:')).map((l) => l.replace(/.* to /, '')),
      [`s3://${B}/tree/${changed}`],
      `third sync:\n${third}`,
    );
  });

  test('s3 presign gives a URL that plain fetch can GET', async () => {
    const url = (await awsOk('s3', 'presign', `s3://${B}/dir/small.bin`, '--expires-in', String(PRESIGN_EXPIRES_S))).trim();
    assert.equal(new URL(url).pathname, `/s3/${B}/dir/small.bin`, `presigned URL: ${url}`);
    await assertPresignedGet(url, fx.small, 'aws s3 presign');
  });

  test('s3 rm deletes; a missing key is 404 / NoSuchKey', async () => {
    assert.match(await awsOk('s3', 'rm', `s3://${B}/dir/small.bin`), new RegExp(`delete: s3://${B}/dir/small.bin`));
    assertFails(await aws('s3api', 'head-object', '--bucket', B, '--key', 'dir/small.bin'), /\(404\)/);
    assertFails(await aws('s3api', 'get-object', '--bucket', B, '--key', 'dir/small.bin', join(work, 'nothing')), /NoSuchKey/);
  });

  test('s3 rb refuses a non-empty bucket (BucketNotEmpty); rb --force removes it', async () => {
    assertFails(await aws('s3', 'rb', `s3://${B}`), /BucketNotEmpty/);
    await awsOk('s3', 'rb', '--force', `s3://${B}`);
    assertFails(await aws('s3api', 'head-bucket', '--bucket', B), /\(404\)/);
    assert.doesNotMatch(await awsOk('s3', 'ls'), new RegExp(` ${B}$`, 'm'));
  });
});

// ---------------------------------------------------------------------------------------------------
describe('s3cmd (/usr/bin/s3cmd)', { skip: skipUnless(BIN.s3cmd, 's3cmd') }, () => {
  const B = 'e2e-s3cmd';
  let c: ClientRunner;
  let work = '';
  const s3cmd = (...args: string[]): Promise<Run> => c.run(...args);
  const s3cmdOk = (...args: string[]): Promise<string> => c.ok(...args);

  before(async () => {
    c = await s3cmdClient(await clientHome(dir, 's3cmd'), endpoint);
    work = c.work;
  });

  test('mb makes the bucket; ls lists it', async () => {
    await s3cmdOk('mb', `s3://${B}`);
    assert.match(await s3cmdOk('ls'), new RegExp(`s3://${B}$`, 'm'));
  });

  test('put, then ls shows the object and its virtual directory', async () => {
    await s3cmdOk('put', fx.smallPath, `s3://${B}/dir/small.bin`);
    assert.match(await s3cmdOk('ls', `s3://${B}/dir/`), new RegExp(`\\s${fx.small.length}\\s+s3://${B}/dir/small\\.bin$`, 'm'));
    assert.match(await s3cmdOk('ls', `s3://${B}`), new RegExp(`DIR\\s+s3://${B}/dir/$`, 'm'));
    assert.match(await s3cmdOk('info', `s3://${B}/dir/small.bin`), new RegExp(`MD5 sum:\\s+${md5(fx.small)}`));
  });

  test('get returns the bytes (s3cmd checks the MD5 itself)', async () => {
    const out = join(work, 'small.out');
    await s3cmdOk('get', '--force', `s3://${B}/dir/small.bin`, out);
    assert.ok((await readFile(out)).equals(fx.small), 'downloaded bytes differ');
  });

  test('get --continue resumes a partial file with a range GET', async () => {
    const out = join(work, 'partial.out');
    await writeFile(out, fx.small.subarray(0, 1000));
    await s3cmdOk('get', '--continue', `s3://${B}/dir/small.bin`, out);
    assert.ok((await readFile(out)).equals(fx.small), 'resumed file differs');
  });

  test('put --multipart-chunk-size-mb=5 uploads 20 MiB in 4 parts; get returns it', async () => {
    await s3cmdOk('put', '--multipart-chunk-size-mb=5', fx.bigPath, `s3://${B}/big.bin`);
    // s3cmd names the parts only in its progress meter: the ETag says how many there were
    const head = await fetch(`${endpoint}/${B}/big.bin`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('etag'), `"${multipartEtag(fx.big, PART_SIZE_BYTES)}"`, 'multipart ETag (4 parts of 5 MiB)');
    const info = await s3cmdOk('info', `s3://${B}/big.bin`);
    assert.match(info, new RegExp(`File size:\\s+${fx.big.length}`), info);
    const dl = join(work, 'big.out');
    await s3cmdOk('get', '--force', `s3://${B}/big.bin`, dl);
    assert.equal(sha256(await readFile(dl)), sha256(fx.big), 'downloaded 20 MiB differs');
  });

  test('cp and mv are server-side copies (s3cmd reads the source ACL first)', async () => {
    await s3cmdOk('cp', `s3://${B}/dir/small.bin`, `s3://${B}/copy/small.bin`);
    await s3cmdOk('mv', `s3://${B}/copy/small.bin`, `s3://${B}/moved/small.bin`);
    const ls = await s3cmdOk('ls', '--recursive', `s3://${B}`);
    assert.match(ls, /moved\/small\.bin$/m, ls);
    assert.doesNotMatch(ls, /copy\/small\.bin$/m, ls);
    const out = join(work, 'moved.out');
    await s3cmdOk('get', '--force', `s3://${B}/moved/small.bin`, out);
    assert.ok((await readFile(out)).equals(fx.small), 'moved bytes differ');
  });

  test('signurl gives a URL that plain fetch can GET', async () => {
    const expiry = Math.floor(Date.now() / 1000) + PRESIGN_EXPIRES_S;
    const url = (await s3cmdOk('signurl', `s3://${B}/dir/small.bin`, String(expiry))).trim();
    await assertPresignedGet(url.replace(/^https:/, 'http:'), fx.small, 's3cmd signurl');
  });

  test('del deletes the object', async () => {
    await s3cmdOk('del', `s3://${B}/dir/small.bin`);
    assert.doesNotMatch(await s3cmdOk('ls', '--recursive', `s3://${B}`), /dir\/small\.bin/);
    assertFails(await s3cmd('get', `s3://${B}/dir/small.bin`, join(work, 'nothing')), /does not exist|404|NoSuchKey/);
  });

  test('rb refuses a non-empty bucket; after del --recursive it removes it', async () => {
    assertFails(await s3cmd('rb', `s3://${B}`), /BucketNotEmpty/);
    await s3cmdOk('del', '--recursive', '--force', `s3://${B}`);
    await s3cmdOk('rb', `s3://${B}`);
    assert.doesNotMatch(await s3cmdOk('ls'), new RegExp(`s3://${B}$`, 'm'));
  });
});

// ---------------------------------------------------------------------------------------------------
// One python process runs every step (boto3's import alone takes a second); each step is a test here.
describe('boto3 (/usr/bin/python3, test/e2e/s3/boto3_e2e.py)', { skip: skipUnless(BIN.python3, 'python3') }, () => {
  const B = 'e2e-boto3';
  const STEPS = [
    'create_bucket',
    'put_object',
    'head_object',
    'list_objects',
    'get_object',
    'range_get',
    'multipart_upload',
    'multipart_download',
    'multipart_low_level',
    'presigned_get',
    'copy_object',
    'conditional_get',
    'response_overrides',
    'special_keys',
    'list_object_versions',
    'upload_part_copy',
    'delete_objects',
    'delete_object',
    'delete_bucket',
  ] as const;
  let result: { run: Run; steps: Map<string, { ok: boolean; error: string }> } | undefined;
  let unavailable = '';

  before(async () => {
    const env = boto3Env(await clientHome(dir, 'boto3'));
    const probe = await run(BIN.python3, ['-c', 'import boto3'], { env });
    if (probe.code !== 0) {
      unavailable = `boto3 is not importable by ${BIN.python3} (Debian: python3-boto3): ${probe.stderr.trim()}`;
      return;
    }
    const r = await run(BIN.python3, [BOTO3_SCRIPT, endpoint, B, fx.dir], { env });
    const steps = new Map<string, { ok: boolean; error: string }>();
    try {
      const doc = JSON.parse(r.stdout.toString('utf8')) as { steps: { name: string; ok: boolean; error: string }[] };
      for (const s of doc.steps) steps.set(s.name, s);
    } catch {
      // the script itself crashed: every step reports its output below
    }
    result = { run: r, steps };
  });

  for (const name of STEPS) {
    test(name, (t) => {
      if (unavailable) return t.skip(unavailable);
      assert.ok(result, 'boto3 script did not run');
      const s = result.steps.get(name);
      assert.ok(s, `boto3 script reported no step "${name}":\n${describeRun(result.run)}`);
      assert.ok(s.ok, `boto3 step ${name} failed:\n${s.error}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------------
describe('rclone (/usr/bin/rclone)', { skip: skipUnless(BIN.rclone, 'rclone') }, () => {
  const B = 'e2e-rclone';
  let c: ClientRunner;
  const rclone = (...args: string[]): Promise<Run> => c.run(...args);
  const rcloneOk = async (...args: string[]): Promise<Buffer> => {
    const r = await rclone(...args);
    assertOk(r);
    return r.stdout;
  };

  before(async () => {
    c = await rcloneClient(await clientHome(dir, 'rclone'), endpoint);
  });

  test('mkdir makes the bucket; lsd lists it', async () => {
    await rcloneOk('mkdir', `shoal:${B}`);
    assert.match((await rcloneOk('lsd', 'shoal:')).toString(), new RegExp(` ${B}$`, 'm'));
  });

  test('copyto puts a file; lsjson shows it', async () => {
    await rcloneOk('copyto', fx.smallPath, `shoal:${B}/dir/small.bin`);
    const ls = JSON.parse((await rcloneOk('lsjson', '--recursive', '--files-only', `shoal:${B}`)).toString()) as { Path: string; Size: number }[];
    assert.deepEqual(ls.map((e) => [e.Path, e.Size]), [['dir/small.bin', fx.small.length]]);
    assert.equal((await rcloneOk('md5sum', `shoal:${B}/dir/small.bin`)).toString().split(/\s+/)[0], md5(fx.small));
  });

  test('cat returns the bytes', async () => {
    assert.ok((await rcloneOk('cat', `shoal:${B}/dir/small.bin`)).equals(fx.small), 'cat bytes differ');
  });

  test('cat --offset --count is a range GET', async () => {
    const got = await rcloneOk('cat', '--offset', '1000', '--count', '1000', `shoal:${B}/dir/small.bin`);
    assert.ok(got.equals(fx.small.subarray(1000, 2000)), `range bytes differ (${got.length} bytes)`);
  });

  test('copyto with 5M chunks and a 5M cutoff uploads 20 MiB as multipart; md5sum and cat agree', async () => {
    await rcloneOk('copyto', '--s3-chunk-size', '5M', '--s3-upload-cutoff', '5M', '--s3-upload-concurrency', '4', fx.bigPath, `shoal:${B}/big.bin`);
    // a multipart object's MD5 comes back from rclone's own x-amz-meta-md5chksum
    assert.equal((await rcloneOk('md5sum', `shoal:${B}/big.bin`)).toString().split(/\s+/)[0], md5(fx.big));
    assert.equal(sha256(await rcloneOk('cat', `shoal:${B}/big.bin`)), sha256(fx.big), 'cat of 20 MiB differs');
    const { start, end } = CROSS_PART_RANGE;
    const got = await rcloneOk('cat', '--offset', String(start), '--count', String(end - start + 1), `shoal:${B}/big.bin`);
    assert.ok(got.equals(fx.big.subarray(start, end + 1)), 'range across the part boundary differs');
  });

  test('copy of a tree, then check finds no differences (listing in pages of 7: markers)', async () => {
    await rcloneOk('copy', fx.treeDir, `shoal:${B}/tree`);
    await rcloneOk('check', '--s3-list-chunk', '7', fx.treeDir, `shoal:${B}/tree`);
    const names = (await rcloneOk('lsf', '--recursive', '--files-only', '--s3-list-chunk', '7', `shoal:${B}/tree`)).toString().trim().split('\n');
    assert.deepEqual(names.sort(), [...fx.tree.keys()].sort());
  });

  test('server-side copyto (CopyObject) and moveto, to keys with a space and a plus', async () => {
    await rcloneOk('copyto', `shoal:${B}/dir/small.bin`, `shoal:${B}/copy/x y+z.bin`);
    assert.ok((await rcloneOk('cat', `shoal:${B}/copy/x y+z.bin`)).equals(fx.small), 'copied bytes differ');
    await rcloneOk('moveto', `shoal:${B}/copy/x y+z.bin`, `shoal:${B}/moved/ü.bin`);
    const names = (await rcloneOk('lsf', '--recursive', '--files-only', `shoal:${B}`)).toString().trim().split('\n');
    assert.ok(names.includes('moved/ü.bin') && !names.includes('copy/x y+z.bin'), `after moveto: ${names.join(', ')}`);
    await rcloneOk('deletefile', `shoal:${B}/moved/ü.bin`);
  });

  test('link gives a presigned URL that plain fetch can GET', async () => {
    const url = (await rcloneOk('link', '--expire', `${PRESIGN_EXPIRES_S}s`, `shoal:${B}/dir/small.bin`)).toString().trim();
    await assertPresignedGet(url, fx.small, 'rclone link');
  });

  test('deletefile deletes the object', async () => {
    await rcloneOk('deletefile', `shoal:${B}/dir/small.bin`);
    const left = (await rcloneOk('lsf', '--recursive', `shoal:${B}`)).toString();
    assert.doesNotMatch(left, /small\.bin/);
  });

  test('rmdir refuses a non-empty bucket; purge removes it', async () => {
    assertFails(await rclone('rmdir', `shoal:${B}`), /BucketNotEmpty|not empty/i);
    await rcloneOk('purge', `shoal:${B}`);
    assert.doesNotMatch((await rcloneOk('lsd', 'shoal:')).toString(), new RegExp(` ${B}$`, 'm'));
  });
});

// ---------------------------------------------------------------------------------------------------
describe('@aws-sdk/client-s3 (default checksum settings)', () => {
  const B = 'e2e-jssdk';
  let s3: S3Client;
  /** The last exchange, quoted when a call fails: what the SDK sent and what came back. */
  let last = '';

  before(() => {
    s3 = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: REGION,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      maxAttempts: 1,
      ...(process.env.SHOAL_E2E_SDK_DEBUG === '1' ? { logger: console } : {}),
    });
    s3.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { method?: string; path?: string; query?: Record<string, unknown>; headers?: Record<string, string> };
        last = `${req.method} ${req.path} ${JSON.stringify(req.query ?? {})} ${JSON.stringify(req.headers ?? {})}`;
        const out = await next(args);
        const res = out.response as { statusCode?: number; headers?: Record<string, string> };
        last += ` → ${res.statusCode} ${JSON.stringify(res.headers ?? {})}`;
        return out;
      },
      { step: 'deserialize', name: 'shoalE2eTrace' },
    );
  });

  after(() => s3?.destroy());

  /** Runs one SDK call; a failure names the error, its status, and the raw exchange. */
  async function sdk<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      const meta = e instanceof S3ServiceException ? ` (${e.name}, HTTP ${e.$metadata.httpStatusCode})` : '';
      throw new Error(`${what} failed${meta}: ${(e as Error).message}\nlast exchange: ${last}`, { cause: e });
    }
  }

  /** The call must fail with this S3 error name and status. */
  async function sdkFails(what: string, call: () => Promise<unknown>, name: string, status: number): Promise<void> {
    try {
      await call();
    } catch (e) {
      assert.ok(e instanceof S3ServiceException, `${what}: not an S3 error: ${String(e)}`);
      assert.equal(e.$metadata.httpStatusCode, status, `${what}: status (${e.name}: ${e.message}); last exchange: ${last}`);
      assert.equal(e.name, name, `${what}: error name; last exchange: ${last}`);
      return;
    }
    assert.fail(`${what} should fail with ${name} ${status}`);
  }

  const bytesOf = async (key: string, range?: string): Promise<Buffer> => {
    const r = await sdk(`GetObject ${key} ${range ?? ''}`, () => s3.send(new GetObjectCommand({ Bucket: B, Key: key, ...(range ? { Range: range } : {}) })));
    return Buffer.from(await r.Body!.transformToByteArray());
  };

  test('CreateBucket, ListBuckets, HeadBucket', async () => {
    await sdk('CreateBucket', () => s3.send(new CreateBucketCommand({ Bucket: B })));
    const list = await sdk('ListBuckets', () => s3.send(new ListBucketsCommand({})));
    assert.ok(list.Buckets?.some((b) => b.Name === B), `ListBuckets: ${JSON.stringify(list.Buckets)}`);
    await sdk('HeadBucket', () => s3.send(new HeadBucketCommand({ Bucket: B })));
  });

  test('PutObject of a buffer (x-amz-checksum-crc32) and of a stream (aws-chunked with a trailer)', async () => {
    const put = await sdk('PutObject buffer', () =>
      s3.send(new PutObjectCommand({ Bucket: B, Key: 'dir/small.bin', Body: fx.small, ContentType: 'application/x-test', Metadata: { color: 'blue' } })),
    );
    assert.equal(put.ETag, `"${md5(fx.small)}"`);
    const streamed = await sdk('PutObject stream', () =>
      s3.send(new PutObjectCommand({ Bucket: B, Key: 'dir/streamed.bin', Body: Readable.from([fx.small.subarray(0, 70_000), fx.small.subarray(70_000)]), ContentLength: fx.small.length })),
    );
    assert.equal(streamed.ETag, `"${md5(fx.small)}"`, 'the ETag is the MD5 of the decoded body, not of the aws-chunked framing');
    assert.ok((await bytesOf('dir/streamed.bin')).equals(fx.small), 'streamed object bytes differ');
  });

  test('HeadObject and GetObject', async () => {
    const h = await sdk('HeadObject', () => s3.send(new HeadObjectCommand({ Bucket: B, Key: 'dir/small.bin' })));
    assert.equal(h.ContentLength, fx.small.length);
    assert.equal(h.ETag, `"${md5(fx.small)}"`);
    assert.equal(h.ContentType, 'application/x-test');
    assert.deepEqual(h.Metadata, { color: 'blue' });
    assert.ok(h.LastModified instanceof Date, 'LastModified');
    assert.ok((await bytesOf('dir/small.bin')).equals(fx.small), 'GET bytes differ');
  });

  test('GetObject with Range', async () => {
    assert.ok((await bytesOf('dir/small.bin', 'bytes=1000-1999')).equals(fx.small.subarray(1000, 2000)), 'range bytes differ');
    assert.ok((await bytesOf('dir/small.bin', `bytes=-100`)).equals(fx.small.subarray(fx.small.length - 100)), 'suffix range bytes differ');
  });

  test('ListObjectsV2 paginated (MaxKeys 1) and with a delimiter', async () => {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1 }, { Bucket: B })) for (const c of page.Contents ?? []) keys.push(c.Key!);
    assert.deepEqual(keys, ['dir/small.bin', 'dir/streamed.bin']);
    const r = await sdk('ListObjectsV2 delimiter', () => s3.send(new ListObjectsV2Command({ Bucket: B, Delimiter: '/' })));
    assert.deepEqual(r.CommonPrefixes?.map((p) => p.Prefix), ['dir/']);
    assert.equal(r.KeyCount, 1);
  });

  test('multipart: 4 × 5 MiB parts, ListParts, Complete (ETag md5-of-md5s-4), read back whole and by range', async () => {
    const key = 'big.bin';
    const up = await sdk('CreateMultipartUpload', () => s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: key })));
    const uploadId = up.UploadId!;
    const parts: { PartNumber: number; ETag: string }[] = [];
    for (let n = 1, off = 0; off < fx.big.length; n++, off += PART_SIZE_BYTES) {
      const body = fx.big.subarray(off, off + PART_SIZE_BYTES);
      const r = await sdk(`UploadPart ${n}`, () => s3.send(new UploadPartCommand({ Bucket: B, Key: key, UploadId: uploadId, PartNumber: n, Body: body })));
      assert.equal(r.ETag, `"${md5(body)}"`, `part ${n} ETag`);
      parts.push({ PartNumber: n, ETag: r.ETag! });
    }
    const lp = await sdk('ListParts', () => s3.send(new ListPartsCommand({ Bucket: B, Key: key, UploadId: uploadId })));
    assert.deepEqual(lp.Parts?.map((p) => [p.PartNumber, p.Size]), parts.map((p) => [p.PartNumber, PART_SIZE_BYTES]));
    const done = await sdk('CompleteMultipartUpload', () =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })),
    );
    assert.equal(done.ETag, `"${multipartEtag(fx.big, PART_SIZE_BYTES)}"`);
    assert.equal(sha256(await bytesOf(key)), sha256(fx.big), '20 MiB read back differs');
    const { start, end } = CROSS_PART_RANGE;
    assert.ok((await bytesOf(key, `bytes=${start}-${end}`)).equals(fx.big.subarray(start, end + 1)), 'range across the part boundary differs');
    // an aborted upload is gone
    const ab = await sdk('CreateMultipartUpload 2', () => s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin' })));
    await sdk('AbortMultipartUpload', () => s3.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin', UploadId: ab.UploadId! })));
    await sdkFails('ListParts after abort', () => s3.send(new ListPartsCommand({ Bucket: B, Key: 'aborted.bin', UploadId: ab.UploadId! })), 'NoSuchUpload', 404);
  });

  test('presigned GET (s3-request-presigner) fetched without credentials', async () => {
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: B, Key: 'dir/small.bin' }), { expiresIn: PRESIGN_EXPIRES_S });
    assert.equal(new URL(url).pathname, `/s3/${B}/dir/small.bin`, url);
    await assertPresignedGet(url, fx.small, 'JS presigner');
  });

  test('presigned PUT (the presigner adds x-amz-checksum-crc32 of an empty body to the query) then GET', async () => {
    const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: B, Key: 'presigned/put.bin' }), { expiresIn: PRESIGN_EXPIRES_S });
    const put = await fetch(url, { method: 'PUT', body: fx.small });
    assert.equal(put.status, 200, `presigned PUT ${url} → ${put.status}: ${await put.text()}`);
    assert.equal(put.headers.get('etag'), `"${md5(fx.small)}"`);
    assert.ok((await bytesOf('presigned/put.bin')).equals(fx.small), 'presigned PUT bytes differ');
    await sdk('DeleteObject presigned', () => s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'presigned/put.bin' })));
  });

  test('CopyObject', async () => {
    const r = await sdk('CopyObject', () => s3.send(new CopyObjectCommand({ Bucket: B, Key: 'copy/small.bin', CopySource: `${B}/dir/small.bin` })));
    assert.equal(r.CopyObjectResult?.ETag, `"${md5(fx.small)}"`);
    assert.ok((await bytesOf('copy/small.bin')).equals(fx.small), 'copy bytes differ');
  });

  test('DeleteObjects (the SDK sends a CRC32 checksum, not Content-MD5), DeleteObject, then NoSuchKey', async () => {
    const r = await sdk('DeleteObjects', () =>
      s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'copy/small.bin' }, { Key: 'dir/streamed.bin' }] } })),
    );
    assert.deepEqual(r.Deleted?.map((d) => d.Key).sort(), ['copy/small.bin', 'dir/streamed.bin'], `Errors: ${JSON.stringify(r.Errors)}`);
    await sdk('DeleteObject', () => s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'dir/small.bin' })));
    await sdkFails('GetObject deleted', () => s3.send(new GetObjectCommand({ Bucket: B, Key: 'dir/small.bin' })), 'NoSuchKey', 404);
    await sdkFails('HeadObject deleted', () => s3.send(new HeadObjectCommand({ Bucket: B, Key: 'dir/small.bin' })), 'NotFound', 404);
  });

  test('DeleteBucket: BucketNotEmpty first, then gone', async () => {
    await sdkFails('DeleteBucket non-empty', () => s3.send(new DeleteBucketCommand({ Bucket: B })), 'BucketNotEmpty', 409);
    await sdk('DeleteObject big', () => s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'big.bin' })));
    await sdk('DeleteBucket', () => s3.send(new DeleteBucketCommand({ Bucket: B })));
    await sdkFails('HeadBucket deleted', () => s3.send(new HeadBucketCommand({ Bucket: B })), 'NotFound', 404);
  });
});

// ---------------------------------------------------------------------------------------------------
// Last: it changes the cluster config. The same aws CLI at the proxy's root, no /s3.
describe('S3 at the root (feature S3-API-via-Root), aws CLI', { skip: skipUnless(BIN.aws, 'aws CLI') }, () => {
  const B = 'e2e-root';
  let c: ClientRunner;
  const awsOk = (...args: string[]): Promise<string> => c.ok(...args);
  const setFeatures = async (value: string): Promise<void> => {
    const r = await fetch(`${cluster.proxyUrl}/v1/cluster/set-config?features=${encodeURIComponent(value)}`, { method: 'PUT' });
    assert.equal(r.status, 200, `set-config features=${value}: ${r.status} ${await r.text()}`);
  };

  before(async () => {
    c = await awsClient(await clientHome(dir, 'aws-root'), cluster.proxyUrl);
    await setFeatures('S3-API-via-Root');
  });

  after(async () => {
    if (cluster) await setFeatures('none');
  });

  test('mb, cp up, ls, cp down, rb --force at http://<proxy>/', async () => {
    await awsOk('s3', 'mb', `s3://${B}`);
    await awsOk('s3', 'cp', fx.smallPath, `s3://${B}/a/small.bin`);
    assert.match(await awsOk('s3', 'ls', '--recursive', `s3://${B}`), /a\/small\.bin$/m);
    const out = join(c.work, 'small.out');
    await awsOk('s3', 'cp', `s3://${B}/a/small.bin`, out);
    assert.ok((await readFile(out)).equals(fx.small), 'bytes differ');
    // the native API is still there beside it
    const native = await fetch(`${cluster.proxyUrl}/v1/buckets/${B}`, { method: 'HEAD' });
    assert.equal(native.status, 200, 'native HEAD bucket next to S3 at the root');
    await awsOk('s3', 'rb', '--force', `s3://${B}`);
  });
});
