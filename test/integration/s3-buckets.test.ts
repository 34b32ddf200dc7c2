// S3 bucket requests on a real 2-proxy/2-target cluster: ListBuckets, CreateBucket, HeadBucket,
// DeleteBucket (S3 semantics), location, acl, versioning, unsupported sub-resources, DeleteObjects,
// method checks, non-primary proxies forwarding to the primary, and S3 at the root (feature).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startLocalCluster, type LocalCluster } from '../../deploy/local/cluster.ts';
import { createBucket, getJson, http, makeTempDir, putObjects, removeDir, waitFor } from '../support/cluster-helpers.ts';
import {
  assertS3Error, assertS3Ok, s3, s3Path, s3PutMany, xlist, xnode, xopt, xtext, type S3Result,
} from '../support/s3-helpers.ts';

const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Authorization header with a credential scope (auth is off: only the region in it matters). */
const signedIn = (region: string) => ({ authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/${region}/s3/aws4_request, SignedHeaders=host, Signature=00` });

let dir: string | undefined;
let cluster: LocalCluster;
/** The primary and a non-primary proxy. */
let p1: string;
let p2: string;

before(async () => {
  dir = await makeTempDir();
  cluster = await startLocalCluster({ dir, proxies: 2, targets: 2, mountpathsPerTarget: 1 });
  p1 = cluster.proxyUrl;
  const other = cluster.nodes.find((n) => n.role === 'proxy' && n.publicUrl !== p1);
  assert.ok(other, 'a second proxy');
  p2 = other.publicUrl;
});

after(async () => {
  await cluster?.stop();
  await removeDir(dir);
});

function deleteXml(keys: readonly string[], quiet = false, extra = ''): string {
  const objs = keys.map((k) => `<Object><Key>${k.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Key></Object>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${quiet ? '<Quiet>true</Quiet>' : ''}${objs}${extra}</Delete>`;
}

async function listKeys(url: string, bucket: string): Promise<string[]> {
  const r = assertS3Ok(await s3(url, 'GET', s3Path(bucket), { query: { 'list-type': '2' } }));
  return xlist(r.xml, 'Contents').map((c) => xtext(c, 'Key'));
}

describe('ListBuckets and CreateBucket', () => {
  test('PUT creates, GET /s3 lists it with an ISO-8601 CreationDate and the owner', async () => {
    const r = await s3(p1, 'PUT', s3Path('s3-created'));
    assertS3Ok(r);
    assert.equal(r.headers.get('location'), '/s3-created');
    assert.ok(r.headers.get('x-amz-request-id'));
    const l = assertS3Ok(await s3(p1, 'GET', '/s3'));
    assert.equal(l.root, 'ListAllMyBucketsResult');
    assert.equal(xtext(xnode(l.xml, 'Owner'), 'ID'), 'shoal');
    const b = xlist(xnode(l.xml, 'Buckets'), 'Bucket').find((x) => xtext(x, 'Name') === 's3-created');
    assert.ok(b, 'the new bucket is listed');
    assert.match(xtext(b, 'CreationDate'), ISO_MS_RE);
    assert.ok(Math.abs(Date.parse(xtext(b, 'CreationDate')) - Date.now()) < 10 * 60_000, 'created about now');
    // the native API sees the same ais:// bucket
    const native = await getJson<{ name: string; provider: string }[]>(`${p1}/v1/buckets`);
    assert.ok(native.some((x) => x.name === 's3-created' && x.provider === 'ais'));
  });

  test('ListBuckets ?prefix= filters by name', async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path('pfx-one')));
    assertS3Ok(await s3(p1, 'PUT', s3Path('pfx-two')));
    const l = assertS3Ok(await s3(p2, 'GET', '/s3', { query: { prefix: 'pfx-' } }));
    assert.deepEqual(xlist(xnode(l.xml, 'Buckets'), 'Bucket').map((b) => xtext(b, 'Name')), ['pfx-one', 'pfx-two']);
    assert.equal(xtext(l.xml, 'Prefix'), 'pfx-');
    const none = assertS3Ok(await s3(p1, 'GET', '/s3', { query: { prefix: 'zzz' } }));
    assert.deepEqual(xlist(xnode(none.xml, 'Buckets'), 'Bucket'), []);
  });

  test('a bucket made natively is listed too', async () => {
    await createBucket(p1, 'native-made');
    const l = assertS3Ok(await s3(p2, 'GET', '/s3'));
    assert.ok(xlist(xnode(l.xml, 'Buckets'), 'Bucket').some((x) => xtext(x, 'Name') === 'native-made'));
  });

  test('CreateBucketConfiguration body is accepted (LocationConstraint ignored)', async () => {
    const body = '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>';
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-with-config'), { body }));
    assertS3Ok(await s3(p1, 'HEAD', s3Path('s3-with-config')));
  });

  test('a malformed CreateBucketConfiguration is MalformedXML and creates nothing', async () => {
    assertS3Error(await s3(p1, 'PUT', s3Path('s3-bad-config'), { body: '<CreateBucketConfiguration><Loc' }), 400, 'MalformedXML');
    assertS3Error(await s3(p1, 'PUT', s3Path('s3-bad-config'), { body: '<Other/>' }), 400, 'MalformedXML');
    assertS3Error(await s3(p1, 'HEAD', s3Path('s3-bad-config')), 404, 'NoSuchBucket', true);
  });

  test('creating it twice is 409 BucketAlreadyOwnedByYou (primary and non-primary proxy)', async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-twice')));
    const e = assertS3Error(await s3(p1, 'PUT', s3Path('s3-twice')), 409, 'BucketAlreadyOwnedByYou');
    assert.equal(xtext(e, 'Resource'), '/s3-twice');
    assertS3Error(await s3(p2, 'PUT', s3Path('s3-twice')), 409, 'BucketAlreadyOwnedByYou');
  });

  test('a non-primary proxy creates through the primary', async () => {
    assertS3Ok(await s3(p2, 'PUT', s3Path('s3-via-p2')));
    await waitFor('the BMD with s3-via-p2 on p2', async () => ((await s3(p2, 'HEAD', s3Path('s3-via-p2'))).status === 200 ? true : undefined));
    assertS3Ok(await s3(p1, 'HEAD', s3Path('s3-via-p2')));
  });

  for (const [what, name] of [
    ['bad characters', 'bad!name'],
    ['a leading dot', '.hidden'],
    ['too long', 'x'.repeat(65)],
    ['double dot', 'a..b'],
  ] as const) {
    test(`a bucket name with ${what} is 400 InvalidBucketName`, async () => {
      assertS3Error(await s3(p1, 'PUT', s3Path(name)), 400, 'InvalidBucketName');
      assertS3Error(await s3(p2, 'PUT', s3Path(name)), 400, 'InvalidBucketName');
      assertS3Error(await s3(p1, 'GET', s3Path(name)), 400, 'InvalidBucketName');
    });
  }

  test('only GET at the service level: PUT /s3 is 405 MethodNotAllowed', async () => {
    assertS3Error(await s3(p1, 'PUT', '/s3'), 405, 'MethodNotAllowed');
    assertS3Error(await s3(p1, 'DELETE', '/s3/'), 405, 'MethodNotAllowed');
  });
});

describe('HeadBucket, location, acl, versioning', () => {
  before(async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-meta')));
  });

  test('HEAD: 200, no body, region us-east-1 when unsigned', async () => {
    const r = assertS3Ok(await s3(p1, 'HEAD', s3Path('s3-meta')));
    assert.equal(r.body.length, 0);
    assert.equal(r.headers.get('x-amz-bucket-region'), 'us-east-1');
    assert.ok(r.headers.get('x-amz-request-id'));
  });

  test('HEAD answers the region the client signed with', async () => {
    const r = assertS3Ok(await s3(p2, 'HEAD', s3Path('s3-meta'), { headers: signedIn('eu-central-1') }));
    assert.equal(r.headers.get('x-amz-bucket-region'), 'eu-central-1');
  });

  test('HEAD of a missing bucket: 404, no body, request id', async () => {
    assertS3Error(await s3(p1, 'HEAD', s3Path('s3-nope')), 404, 'NoSuchBucket', true);
  });

  test('GET ?location: empty for us-east-1, else the signed region', async () => {
    const r = assertS3Ok(await s3(p1, 'GET', s3Path('s3-meta'), { query: { location: '' } }));
    assert.equal(r.root, 'LocationConstraint');
    assert.match(r.text, /<LocationConstraint xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><\/LocationConstraint>/);
    const eu = assertS3Ok(await s3(p1, 'GET', s3Path('s3-meta'), { query: { location: '' }, headers: signedIn('eu-west-1') }));
    assert.match(eu.text, />eu-west-1<\/LocationConstraint>/);
    assertS3Error(await s3(p1, 'GET', s3Path('s3-nope'), { query: { location: '' } }), 404, 'NoSuchBucket');
  });

  test('GET ?acl: the owner has FULL_CONTROL; PUT ?acl is accepted', async () => {
    const r = assertS3Ok(await s3(p1, 'GET', s3Path('s3-meta'), { query: { acl: '' } }));
    assert.equal(r.root, 'AccessControlPolicy');
    assert.equal(xtext(xnode(r.xml, 'Owner'), 'ID'), 'shoal');
    const grants = xlist(xnode(r.xml, 'AccessControlList'), 'Grant');
    assert.equal(grants.length, 1);
    assert.equal(xtext(grants[0], 'Permission'), 'FULL_CONTROL');
    assert.equal(xtext(xnode(grants[0], 'Grantee'), 'ID'), 'shoal');
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-meta'), { query: { acl: '' }, headers: { 'x-amz-acl': 'private' } }));
    assertS3Error(await s3(p1, 'GET', s3Path('s3-nope'), { query: { acl: '' } }), 404, 'NoSuchBucket');
  });

  test('versioning: Enabled by default (AIS), PUT Suspended/Enabled round-trips, also via a non-primary', async () => {
    const get = async (url: string) => xtext(assertS3Ok(await s3(url, 'GET', s3Path('s3-meta'), { query: { versioning: '' } })).xml, 'Status');
    assert.equal(await get(p1), 'Enabled');
    const put = (url: string, status: string) =>
      s3(url, 'PUT', s3Path('s3-meta'), { query: { versioning: '' }, body: `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>${status}</Status></VersioningConfiguration>` });
    assertS3Ok(await put(p1, 'Suspended'));
    assert.equal(await get(p1), 'Suspended');
    const props = await getJson<{ providers: { ais: Record<string, Record<string, { versioning: { enabled: boolean } }>> } }>(`${p1}/v1/cluster?what=bmd`);
    assert.equal(props.providers.ais['@#']!['s3-meta']!.versioning.enabled, false, 'the bucket prop changed');
    assertS3Ok(await put(p2, 'Enabled'));
    assert.equal(await get(p1), 'Enabled');
    await waitFor('p2 sees versioning Enabled', async () => ((await get(p2)) === 'Enabled' ? true : undefined));
  });

  test('versioning: a bad Status or broken XML is MalformedXML', async () => {
    const put = (body: string) => s3(p1, 'PUT', s3Path('s3-meta'), { query: { versioning: '' }, body });
    assertS3Error(await put('<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>'), 400, 'MalformedXML');
    assertS3Error(await put('<VersioningConfiguration><Status>'), 400, 'MalformedXML');
    assertS3Error(await put(''), 400, 'MalformedXML');
  });

  test('sub-resources Shoal keeps none of: GET is S3\'s "none configured", PUT/DELETE NotImplemented', async () => {
    for (const [sub, code] of [
      ['policy', 'NoSuchBucketPolicy'],
      ['cors', 'NoSuchCORSConfiguration'],
      ['lifecycle', 'NoSuchLifecycleConfiguration'],
      ['tagging', 'NoSuchTagSet'],
      ['encryption', 'ServerSideEncryptionConfigurationNotFoundError'],
    ] as const) {
      assertS3Error(await s3(p1, 'GET', s3Path('s3-meta'), { query: { [sub]: '' } }), 404, code);
      assertS3Error(await s3(p1, 'PUT', s3Path('s3-meta'), { query: { [sub]: '' }, body: '<x/>' }), 501, 'NotImplemented');
      assertS3Error(await s3(p1, 'DELETE', s3Path('s3-meta'), { query: { [sub]: '' } }), 501, 'NotImplemented');
    }
    assertS3Error(await s3(p1, 'GET', s3Path('s3-meta'), { query: { notification: '' } }), 501, 'NotImplemented');
    // the bucket is still there: DELETE ?cors did not delete it
    assertS3Ok(await s3(p1, 'HEAD', s3Path('s3-meta')));
    assertS3Error(await s3(p1, 'GET', s3Path('s3-nope'), { query: { policy: '' } }), 404, 'NoSuchBucket');
  });

  test('methods a bucket does not take are 405 MethodNotAllowed', async () => {
    assertS3Error(await s3(p1, 'PATCH', s3Path('s3-meta')), 405, 'MethodNotAllowed');
    assertS3Error(await s3(p1, 'POST', s3Path('s3-meta')), 405, 'MethodNotAllowed');
    assertS3Error(await s3(p1, 'PATCH', s3Path('s3-meta', 'obj')), 405, 'MethodNotAllowed');
  });
});

describe('DeleteBucket', () => {
  test('a missing bucket is 404 NoSuchBucket', async () => {
    const e = assertS3Error(await s3(p1, 'DELETE', s3Path('s3-never')), 404, 'NoSuchBucket');
    assert.equal(xtext(e, 'BucketName'), 's3-never');
  });

  test('a non-empty bucket is 409 BucketNotEmpty; empty: 204 and gone', async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-full')));
    await putObjects(p1, 's3-full', ['only/one']);
    assertS3Error(await s3(p1, 'DELETE', s3Path('s3-full')), 409, 'BucketNotEmpty');
    assertS3Error(await s3(p2, 'DELETE', s3Path('s3-full')), 409, 'BucketNotEmpty');
    assertS3Ok(await s3(p1, 'HEAD', s3Path('s3-full')));
    const r = await http(`${p1}/v1/objects/s3-full/only/one`, { method: 'DELETE' });
    if (r.status === 307) assert.equal((await http(r.headers.get('location')!, { method: 'DELETE' })).status, 200);
    else assert.equal(r.status, 200);
    const d = await s3(p1, 'DELETE', s3Path('s3-full'));
    assertS3Ok(d, 204);
    assert.equal(d.body.length, 0);
    assertS3Error(await s3(p1, 'HEAD', s3Path('s3-full')), 404, 'NoSuchBucket', true);
  });

  test('through a non-primary proxy', async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-del-p2')));
    await waitFor('p2 has s3-del-p2', async () => ((await s3(p2, 'HEAD', s3Path('s3-del-p2'))).status === 200 ? true : undefined));
    assertS3Ok(await s3(p2, 'DELETE', s3Path('s3-del-p2')), 204);
    assertS3Error(await s3(p1, 'HEAD', s3Path('s3-del-p2')), 404, 'NoSuchBucket', true);
  });
});

describe('DeleteObjects', () => {
  const BCK = 's3-multi';
  before(async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path(BCK)));
  });

  test('verbose: every key Deleted, missing keys too; the objects are gone', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `v/${String(i).padStart(3, '0')}`);
    await putObjects(p1, BCK, keys);
    const r = assertS3Ok(await s3(p2, 'POST', s3Path(BCK), { query: { delete: '' }, body: deleteXml([...keys, 'v/missing']) }));
    assert.equal(r.root, 'DeleteResult');
    assert.deepEqual(xlist(r.xml, 'Deleted').map((d) => xtext(d, 'Key')).sort(), [...keys, 'v/missing'].sort());
    assert.equal(xlist(r.xml, 'Error').length, 0);
    assert.deepEqual(await listKeys(p1, BCK), []);
  });

  test('quiet: no Deleted entries', async () => {
    const keys = ['q/a', 'q/b', 'q/c d', 'q/&amp'];
    await s3PutMany(p1, BCK, keys).catch(async () => putObjects(p1, BCK, keys));
    const r = assertS3Ok(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body: deleteXml(keys, true) }));
    assert.equal(xlist(r.xml, 'Deleted').length, 0);
    assert.equal(xlist(r.xml, 'Error').length, 0);
    assert.deepEqual(await listKeys(p1, BCK), []);
  });

  test('DELETE ?delete works too (as AIS), with a correct Content-MD5', async () => {
    await putObjects(p1, BCK, ['d/1']);
    const body = deleteXml(['d/1']);
    const md5 = createHash('md5').update(body).digest('base64');
    const r = assertS3Ok(await s3(p1, 'DELETE', s3Path(BCK), { query: { delete: '' }, body, headers: { 'content-md5': md5 } }));
    assert.deepEqual(xlist(r.xml, 'Deleted').map((d) => xtext(d, 'Key')), ['d/1']);
    assert.deepEqual(await listKeys(p1, BCK), []);
    assertS3Ok(await s3(p1, 'HEAD', s3Path(BCK)), 200);
  });

  test('a wrong Content-MD5 is 400 BadDigest, a malformed one InvalidDigest; nothing is deleted', async () => {
    await putObjects(p1, BCK, ['m/1']);
    const body = deleteXml(['m/1']);
    assertS3Error(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body, headers: { 'content-md5': createHash('md5').update('x').digest('base64') } }), 400, 'BadDigest');
    assertS3Error(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body, headers: { 'content-md5': 'nope' } }), 400, 'InvalidDigest');
    assert.deepEqual(await listKeys(p1, BCK), ['m/1']);
  });

  test('a hex x-amz-content-sha256 must match the body (XAmzContentSHA256Mismatch); a signed request passes', async () => {
    await putObjects(p1, BCK, ['h/1']);
    const body = deleteXml(['h/1']);
    const wrong = createHash('sha256').update('other').digest('hex');
    assertS3Error(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body, headers: { 'x-amz-content-sha256': wrong } }), 400, 'XAmzContentSHA256Mismatch');
    assert.ok((await listKeys(p1, BCK)).includes('h/1'));
    // auth is off: a SigV4-signed request (hex payload hash) is served as any other
    const r = assertS3Ok(await s3(p2, 'POST', s3Path(BCK), { query: { delete: '' }, body, sign: { accessKey: 'AKIDEXAMPLE', secretKey: 'secret' } }));
    assert.deepEqual(xlist(r.xml, 'Deleted').map((d) => xtext(d, 'Key')), ['h/1']);
    assert.ok(!(await listKeys(p1, BCK)).includes('h/1'));
  });

  test('a bad VersionId or key is an Error entry; the other keys are deleted', async () => {
    await putObjects(p1, BCK, ['e/ok']);
    const body = deleteXml(['e/ok'], false, '<Object><Key>e/v</Key><VersionId>abc</VersionId></Object><Object><Key>e/null</Key><VersionId>null</VersionId></Object><Object><Key>../up</Key></Object>');
    const r = assertS3Ok(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body }));
    assert.deepEqual(xlist(r.xml, 'Deleted').map((d) => `${xtext(d, 'Key')}:${xopt(d, 'VersionId') ?? ''}`).sort(), ['e/null:null', 'e/ok:'].sort());
    const errs = xlist(r.xml, 'Error');
    assert.deepEqual(errs.map((e) => `${xtext(e, 'Key')}:${xtext(e, 'Code')}`).sort(), ['../up:InvalidArgument', 'e/v:InvalidArgument']);
    for (const e of errs) assert.ok(xtext(e, 'Message').length > 0);
    // quiet still lists errors
    const q = assertS3Ok(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body: deleteXml(['e/x'], true, '<Object><Key>../up</Key></Object>') }));
    assert.equal(xlist(q.xml, 'Deleted').length, 0);
    assert.deepEqual(xlist(q.xml, 'Error').map((e) => xtext(e, 'Key')), ['../up']);
  });

  test('1001 keys is MalformedXML; 1000 are fine', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `many/${i}`);
    assertS3Error(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body: deleteXml(many) }), 400, 'MalformedXML');
    const r = assertS3Ok(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body: deleteXml(many.slice(0, 1000), true) }));
    assert.equal(xlist(r.xml, 'Error').length, 0);
  });

  test('broken XML, a wrong root, no objects, an Object without Key: MalformedXML', async () => {
    const bad = (body: string): Promise<S3Result> => s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body });
    assertS3Error(await bad('<Delete><Object><Key>a</Key></Object>'), 400, 'MalformedXML');
    assertS3Error(await bad('<NotDelete><Object><Key>a</Key></Object></NotDelete>'), 400, 'MalformedXML');
    assertS3Error(await bad('<Delete><Quiet>true</Quiet></Delete>'), 400, 'MalformedXML');
    assertS3Error(await bad('<Delete><Object><VersionId>null</VersionId></Object></Delete>'), 400, 'MalformedXML');
    assertS3Error(await bad(''), 400, 'MalformedXML');
  });

  test('a missing bucket is NoSuchBucket', async () => {
    assertS3Error(await s3(p1, 'POST', s3Path('s3-nope'), { query: { delete: '' }, body: deleteXml(['a']) }), 404, 'NoSuchBucket');
  });
});

describe('object requests are relayed to the HRW target', () => {
  const BCK = 's3-relay';
  const KEYS = ['a//b', 'trail/', 'sp ace+plus', 'uni/é/ü', 'deep/x/y/z.bin', "q'uote(1)*"];
  before(async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path(BCK)));
  });

  test('PUT through one proxy, GET/HEAD through the other; keys with // and a trailing / stay exact', async () => {
    for (const [i, key] of KEYS.entries()) {
      const put = await s3(i % 2 ? p1 : p2, 'PUT', s3Path(BCK, key), { body: `body of ${key}` });
      assertS3Ok(put);
      const get = assertS3Ok(await s3(i % 2 ? p2 : p1, 'GET', s3Path(BCK, key)));
      assert.equal(get.text, `body of ${key}`);
      const head = assertS3Ok(await s3(p1, 'HEAD', s3Path(BCK, key)));
      assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(`body of ${key}`)));
      assert.equal(head.body.length, 0);
    }
    assert.deepEqual(await listKeys(p2, BCK), [...KEYS].sort());
  });

  test('DeleteObjects removes keys with // and a trailing /', async () => {
    const r = assertS3Ok(await s3(p1, 'POST', s3Path(BCK), { query: { delete: '' }, body: deleteXml(KEYS) }));
    assert.equal(xlist(r.xml, 'Error').length, 0, r.text);
    assert.deepEqual(await listKeys(p1, BCK), []);
    assertS3Error(await s3(p1, 'HEAD', s3Path(BCK, 'trail/')), 404, 'NoSuchKey', true);
  });

  test('an object in a missing bucket is NoSuchBucket at the proxy', async () => {
    assertS3Error(await s3(p1, 'GET', s3Path('s3-nope', 'k')), 404, 'NoSuchBucket');
    assertS3Error(await s3(p2, 'PUT', s3Path('s3-nope', 'k'), { body: 'x' }), 404, 'NoSuchBucket');
  });
});

describe('ListMultipartUploads (empty bucket)', () => {
  test('no uploads: an empty, untruncated result', async () => {
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-mpt-none')));
    const r = assertS3Ok(await s3(p1, 'GET', s3Path('s3-mpt-none'), { query: { uploads: '' } }));
    assert.equal(r.root, 'ListMultipartUploadsResult');
    assert.equal(xtext(r.xml, 'Bucket'), 's3-mpt-none');
    assert.equal(xtext(r.xml, 'IsTruncated'), 'false');
    assert.equal(xtext(r.xml, 'MaxUploads'), '1000');
    assert.equal(xlist(r.xml, 'Upload').length, 0);
    assertS3Error(await s3(p1, 'GET', s3Path('s3-mpt-none'), { query: { uploads: '', 'max-uploads': '-1' } }), 400, 'InvalidArgument');
    assertS3Error(await s3(p1, 'GET', s3Path('s3-nope'), { query: { uploads: '' } }), 404, 'NoSuchBucket');
  });
});

describe('S3 at the root (feature S3-API-via-Root)', () => {
  before(async () => {
    const r = await http(`${p1}/v1/cluster/set-config?features=S3-API-via-Root`, { method: 'PUT' });
    assert.equal(r.status, 200, r.text);
    await waitFor('p2 serves S3 at the root', async () => ((await s3(p2, 'GET', '/')).root === 'ListAllMyBucketsResult' ? true : undefined));
  });

  after(async () => {
    const r = await http(`${p1}/v1/cluster/set-config?features=`, { method: 'PUT' });
    assert.equal(r.status, 200, r.text);
  });

  test('ListBuckets, CreateBucket, HeadBucket, listing and DeleteBucket at /', async () => {
    const l = assertS3Ok(await s3(p1, 'GET', '/'));
    assert.equal(l.root, 'ListAllMyBucketsResult');
    assertS3Ok(await s3(p1, 'PUT', s3Path('s3-root', '', '')));
    assertS3Ok(await s3(p2, 'HEAD', s3Path('s3-root', '', '')).then(async (r) => (r.status === 200 ? r : waitFor('p2 BMD', async () => { const x = await s3(p2, 'HEAD', '/s3-root'); return x.status === 200 ? x : undefined; }))));
    await putObjects(p1, 's3-root', ['r/1', 'r/2']);
    const ls = assertS3Ok(await s3(p2, 'GET', '/s3-root', { query: { 'list-type': '2' } }));
    assert.deepEqual(xlist(ls.xml, 'Contents').map((c) => xtext(c, 'Key')), ['r/1', 'r/2']);
    assertS3Error(await s3(p1, 'DELETE', '/s3-root'), 409, 'BucketNotEmpty');
    const del = assertS3Ok(await s3(p1, 'POST', '/s3-root', { query: { delete: '' }, body: deleteXml(['r/1', 'r/2']) }));
    assert.equal(xlist(del.xml, 'Deleted').length, 2);
    assertS3Ok(await s3(p1, 'DELETE', '/s3-root'), 204);
    assertS3Error(await s3(p1, 'GET', '/s3-root'), 404, 'NoSuchBucket');
  });

  test('the native API and /s3 still work', async () => {
    assert.equal((await http(`${p1}/v1/buckets`)).status, 200);
    assertS3Ok(await s3(p1, 'GET', '/s3'));
  });

  test('object requests at the root are relayed to the target at /s3', async () => {
    assertS3Ok(await s3(p1, 'PUT', '/s3-root-obj'));
    const put = await s3(p2, 'PUT', '/s3-root-obj/dir/hello.txt', { body: 'hello via root' });
    if (put.status === 501) return; // the target's S3 object API is not in yet
    assertS3Ok(put);
    const get = assertS3Ok(await s3(p1, 'GET', '/s3-root-obj/dir/hello.txt'));
    assert.equal(get.text, 'hello via root');
    assertS3Error(await s3(p1, 'GET', '/s3-root-obj/dir/missing'), 404, 'NoSuchKey');
  });
});
