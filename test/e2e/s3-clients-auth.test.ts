// The same real S3 clients against a cluster with SigV4 auth ON (node config `s3.auth`, one access
// key): every client signs its own requests (header auth, presigned URLs, aws-chunked bodies) and the
// proxy verifies them; a wrong secret or an unknown key is refused with the S3 code the client shows.
// One cluster for the file; a client whose binary is missing is skipped (.ci/run installs them).
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startLocalCluster, type LocalCluster } from '../../deploy/local/cluster.ts';
import {
  BIN,
  PART_SIZE_BYTES,
  REGION,
  assertFails,
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
  type Keys,
  clientHome,
  stopAndClean,
} from './s3/harness.ts';

const BOTO3_SCRIPT = fileURLToPath(new URL('./s3/boto3_e2e.py', import.meta.url));
/** Access key ids are [A-Za-z0-9] (nodes/config.ts). */
const KEYS: Keys = { accessKey: 'SHOALE2EAUTHKEY', secretKey: 'e2e-auth-secret/with+odd=chars' };
const WRONG_SECRET: Keys = { accessKey: KEYS.accessKey, secretKey: 'not-the-secret' };
const UNKNOWN_KEY: Keys = { accessKey: 'NOSUCHKEY', secretKey: KEYS.secretKey };
const PRESIGN_EXPIRES_S = 300;

let cluster: LocalCluster;
/** False until the cluster is up: then after() keeps the node logs. */
let started = false;
let dir = '';
let fx: Fixtures;
let endpoint = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-s3-auth-e2e-'));
  cluster = await startLocalCluster({
    dir: join(dir, 'cluster'),
    targets: 3,
    mountpathsPerTarget: 2,
    s3: { auth: true, access_keys: { [KEYS.accessKey]: KEYS.secretKey }, region: REGION },
  });
  started = true;
  endpoint = `${cluster.proxyUrl}/s3`;
  fx = await makeFixtures(join(dir, 'data'));
});

after(() => stopAndClean(cluster, dir, started));


async function assertPresignedGet(url: string, want: Buffer, what: string): Promise<void> {
  const r = await fetchBytes(url);
  assert.equal(r.status, 200, `${what}: GET ${url} → ${r.status}: ${r.text}`);
  assert.ok(r.body.equals(want), `${what}: presigned GET body differs`);
  // the same URL with the signature changed is refused
  const u = new URL(url);
  const sig = u.searchParams.get('X-Amz-Signature');
  assert.ok(sig, `${what}: not a SigV4 presigned URL: ${url}`);
  u.searchParams.set('X-Amz-Signature', `${sig[0] === '0' ? '1' : '0'}${sig.slice(1)}`);
  const bad = await fetchBytes(u.toString());
  assert.equal(bad.status, 403, `${what}: tampered presigned URL → ${bad.status}: ${bad.text}`);
  assert.match(bad.text, /<Code>SignatureDoesNotMatch<\/Code>/);
}

test('an unsigned request is refused with 403 AccessDenied', async () => {
  const r = await fetchBytes(`${endpoint}/`);
  assert.equal(r.status, 403, r.text);
  assert.match(r.text, /<Code>AccessDenied<\/Code>/);
});

describe('aws CLI, auth on', { skip: skipUnless(BIN.aws, 'aws CLI') }, () => {
  const B = 'auth-aws';
  let c: ClientRunner;
  before(async () => {
    c = await awsClient(await clientHome(dir, 'aws'), endpoint, KEYS);
  });

  test('mb, cp (signed payload), 20 MiB multipart, ls, cp back, presign, rb --force', async () => {
    await c.ok('s3', 'mb', `s3://${B}`);
    await c.ok('s3', 'cp', fx.smallPath, `s3://${B}/small.bin`);
    await c.ok('s3', 'cp', fx.bigPath, `s3://${B}/big.bin`);
    const head = JSON.parse(await c.ok('s3api', 'head-object', '--bucket', B, '--key', 'big.bin')) as { ETag: string };
    assert.equal(head.ETag, `"${multipartEtag(fx.big, PART_SIZE_BYTES)}"`);
    assert.match(await c.ok('s3', 'ls', `s3://${B}`), /small\.bin$/m);
    const out = join(c.work, 'big.out');
    await c.ok('s3', 'cp', `s3://${B}/big.bin`, out);
    assert.equal(sha256(await readFile(out)), sha256(fx.big));
    const url = (await c.ok('s3', 'presign', `s3://${B}/small.bin`, '--expires-in', String(PRESIGN_EXPIRES_S))).trim();
    await assertPresignedGet(url, fx.small, 'aws s3 presign');
    await c.ok('s3', 'rb', '--force', `s3://${B}`);
  });

  test('a wrong secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId', async () => {
    const wrong = await awsClient(await clientHome(dir, 'aws-wrong'), endpoint, WRONG_SECRET);
    assertFails(await wrong.run('s3', 'ls'), /SignatureDoesNotMatch/);
    const unknown = await awsClient(await clientHome(dir, 'aws-unknown'), endpoint, UNKNOWN_KEY);
    assertFails(await unknown.run('s3', 'ls'), /InvalidAccessKeyId/);
  });
});

// s3cmd signs the path without host_base's `/s3` and puts `/s3` into the signed Host (S3/S3.py sign(),
// get_hostname()), so no server can verify its SigV4 against `<proxy>/s3`: with auth on it talks to
// the root (feature S3-API-via-Root), as AIS's docs suggest for clients that reconstruct endpoints.
describe('s3cmd, auth on, at the root (S3-API-via-Root)', { skip: skipUnless(BIN.s3cmd, 's3cmd') }, () => {
  const B = 'auth-s3cmd';
  const setFeatures = async (value: string): Promise<void> => {
    const r = await fetch(`${cluster.proxyUrl}/v1/cluster/set-config?features=${encodeURIComponent(value)}`, { method: 'PUT' });
    assert.equal(r.status, 200, `set-config features=${value}: ${r.status} ${await r.text()}`);
  };
  before(() => setFeatures('S3-API-via-Root'));
  after(async () => {
    if (cluster) await setFeatures('none');
  });

  test('mb, put, 20 MiB multipart, get, ls, del, rb; a wrong secret is refused', async () => {
    const c = await s3cmdClient(await clientHome(dir, 's3cmd'), cluster.proxyUrl, KEYS);
    await c.ok('mb', `s3://${B}`);
    await c.ok('put', fx.smallPath, `s3://${B}/small.bin`);
    await c.ok('put', '--multipart-chunk-size-mb=5', fx.bigPath, `s3://${B}/big.bin`);
    const out = join(c.work, 'small.out');
    await c.ok('get', '--force', `s3://${B}/small.bin`, out);
    assert.ok((await readFile(out)).equals(fx.small));
    assert.match(await c.ok('ls', `s3://${B}`), /big\.bin$/m);
    await c.ok('del', '--recursive', '--force', `s3://${B}`);
    await c.ok('rb', `s3://${B}`);
    const wrong = await s3cmdClient(await clientHome(dir, 's3cmd-wrong'), cluster.proxyUrl, WRONG_SECRET);
    assertFails(await wrong.run('ls'), /SignatureDoesNotMatch/);
  });
});

describe('boto3, auth on', { skip: skipUnless(BIN.python3, 'python3') }, () => {
  test('the whole boto3 script (header auth, multipart, presigned GET) with a real key', async (t) => {
    const env = boto3Env(await clientHome(dir, 'boto3'), KEYS);
    const probe = await run(BIN.python3, ['-c', 'import boto3'], { env });
    if (probe.code !== 0) return t.skip(`boto3 is not importable by ${BIN.python3}`);
    const r = await run(BIN.python3, [BOTO3_SCRIPT, endpoint, 'auth-boto3', fx.dir], { env });
    let steps: { name: string; ok: boolean; error: string }[];
    try {
      steps = (JSON.parse(r.stdout.toString('utf8')) as { steps: typeof steps }).steps;
    } catch {
      assert.fail(`boto3 script output is not JSON:\n${describeRun(r)}`);
    }
    const failed = steps.filter((s) => !s.ok);
    assert.deepEqual(failed.map((s) => s.name), [], failed.map((s) => `${s.name}: ${s.error}`).join('\n'));
  });
});

describe('rclone, auth on', { skip: skipUnless(BIN.rclone, 'rclone') }, () => {
  const B = 'auth-rclone';
  test('mkdir, copyto, 20 MiB multipart, cat, link, purge', async () => {
    const c = await rcloneClient(await clientHome(dir, 'rclone'), endpoint, KEYS);
    const ok = async (...args: string[]): Promise<Buffer> => {
      const r = await c.run(...args);
      assert.equal(r.code, 0, describeRun(r));
      return r.stdout;
    };
    await ok('mkdir', `shoal:${B}`);
    await ok('copyto', fx.smallPath, `shoal:${B}/small.bin`);
    await ok('copyto', '--s3-chunk-size', '5M', '--s3-upload-cutoff', '5M', fx.bigPath, `shoal:${B}/big.bin`);
    assert.equal(sha256(await ok('cat', `shoal:${B}/big.bin`)), sha256(fx.big));
    const url = (await ok('link', '--expire', `${PRESIGN_EXPIRES_S}s`, `shoal:${B}/small.bin`)).toString().trim();
    await assertPresignedGet(url, fx.small, 'rclone link');
    await ok('purge', `shoal:${B}`);
  });
});

describe('@aws-sdk/client-s3, auth on (default checksums)', () => {
  const B = 'auth-jssdk';
  const client = (keys: Keys): S3Client =>
    new S3Client({ endpoint, forcePathStyle: true, region: REGION, credentials: { accessKeyId: keys.accessKey, secretAccessKey: keys.secretKey }, maxAttempts: 1 });

  test('put (buffer and aws-chunked stream), multipart, list, get, presign, delete', async () => {
    const s3 = client(KEYS);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: B }));
      const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'small.bin', Body: fx.small }));
      assert.equal(put.ETag, `"${md5(fx.small)}"`);
      const streamed = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'streamed.bin', Body: Readable.from([fx.small]), ContentLength: fx.small.length }));
      assert.equal(streamed.ETag, `"${md5(fx.small)}"`);
      const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'big.bin' }));
      const parts: { PartNumber: number; ETag: string }[] = [];
      for (let n = 1, off = 0; off < fx.big.length; n++, off += PART_SIZE_BYTES) {
        const r = await s3.send(new UploadPartCommand({ Bucket: B, Key: 'big.bin', UploadId: up.UploadId!, PartNumber: n, Body: fx.big.subarray(off, off + PART_SIZE_BYTES) }));
        parts.push({ PartNumber: n, ETag: r.ETag! });
      }
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: B, Key: 'big.bin', UploadId: up.UploadId!, MultipartUpload: { Parts: parts } }));
      assert.equal(done.ETag, `"${multipartEtag(fx.big, PART_SIZE_BYTES)}"`);
      const list = await s3.send(new ListObjectsV2Command({ Bucket: B }));
      assert.deepEqual(list.Contents?.map((o) => o.Key), ['big.bin', 'small.bin', 'streamed.bin']);
      const got = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'streamed.bin' }));
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(fx.small));
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: B, Key: 'small.bin' }), { expiresIn: PRESIGN_EXPIRES_S });
      await assertPresignedGet(url, fx.small, 'JS presigner');
      const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: B, Key: 'presigned.bin' }), { expiresIn: PRESIGN_EXPIRES_S });
      const presignedPut = await fetch(putUrl, { method: 'PUT', body: fx.small });
      assert.equal(presignedPut.status, 200, `presigned PUT → ${presignedPut.status}: ${await presignedPut.text()}`);
      const back = await s3.send(new GetObjectCommand({ Bucket: B, Key: 'presigned.bin' }));
      assert.ok(Buffer.from(await back.Body!.transformToByteArray()).equals(fx.small), 'presigned PUT bytes differ');
      await s3.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'big.bin' }, { Key: 'small.bin' }, { Key: 'streamed.bin' }, { Key: 'presigned.bin' }] } }));
      await s3.send(new DeleteBucketCommand({ Bucket: B }));
    } finally {
      s3.destroy();
    }
  });

  test('a wrong secret: SignatureDoesNotMatch 403; an unknown key: InvalidAccessKeyId 403', async () => {
    for (const [keys, code] of [[WRONG_SECRET, 'SignatureDoesNotMatch'], [UNKNOWN_KEY, 'InvalidAccessKeyId']] as const) {
      const s3 = client(keys);
      try {
        await s3.send(new PutObjectCommand({ Bucket: B, Key: 'x', Body: 'x' }));
        assert.fail(`PUT with ${keys.accessKey}/${keys.secretKey} should fail with ${code}`);
      } catch (e) {
        assert.ok(e instanceof S3ServiceException, String(e));
        assert.equal(e.name, code);
        assert.equal(e.$metadata.httpStatusCode, 403);
      } finally {
        s3.destroy();
      }
    }
  });
});
