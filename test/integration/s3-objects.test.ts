// S3 object requests end to end on a real 1-proxy/3-target cluster, through the proxy's `/s3`
// (which relays to the HRW target): PutObject (ETag = MD5, metadata, Content-MD5), GetObject and
// HeadObject (S3 headers, ranges, conditionals, response-* overrides, partNumber, versionId=null),
// DeleteObject, CopyObject (directives, self-copy, source conditionals, across targets), awkward
// keys, and every error code these produce with its RequestId.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'hash-wasm';
import { bckUname } from '../../protocol/bmd.ts';
import type { Smap } from '../../protocol/smap.ts';
import { Hrw } from '../../nodes/cluster/hrw.ts';
import { targetCandidates } from '../../nodes/cluster/smap.ts';
import { createBucket, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { getJson } from '../support/cluster-helpers.ts';
import { assertS3Error, assertS3Ok, s3, s3Path, xtext, type S3Options, type S3Result } from '../support/s3-helpers.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
const BCK = 's3objs';
const BCK_DST = 's3objs-dst';
const MISSING_BCK = 's3objs-nope';
const DATE_PAST = 'Mon, 01 Jan 2001 00:00:00 GMT';
const DATE_FUTURE = 'Fri, 01 Jan 2100 00:00:00 GMT';

let c: ObjCluster;
let smap: Smap;
let hrw: Hrw;

function md5(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** The HRW target of an object (to pick keys that live on different targets). */
function ownerId(bucket: string, key: string): string {
  return hrw.select(targetCandidates(smap), bckUname('ais', bucket) + key)!.node.daemon_id;
}

/** One S3 object request through the proxy (which relays it to the HRW target). */
function obj(method: string, bucket: string, key: string, opts: S3Options = {}): Promise<S3Result> {
  return s3(c.proxyUrl, method, s3Path(bucket, key), opts);
}

async function put(key: string, body: string | Buffer, headers: Record<string, string> = {}, bucket = BCK): Promise<S3Result> {
  return assertS3Ok(await obj('PUT', bucket, key, { body, headers }));
}

before(async () => {
  c = await startObjCluster();
  await createBucket(c.proxyUrl, BCK);
  await createBucket(c.proxyUrl, BCK_DST, { checksum: { type: 'md5' } });
  smap = await getJson<Smap>(`${c.proxyUrl}/v1/daemon?what=smap`);
  hrw = await Hrw.create();
});

after(async () => {
  await c?.close();
});

describe('PutObject and GetObject', () => {
  test('4 KiB: ETag is the quoted MD5; GET returns bytes and S3 headers', async () => {
    const data = randomBytes(4 * KIB);
    const p = await put('small/4k', data);
    assert.equal(p.headers.get('etag'), `"${md5(data)}"`);
    assert.ok(p.headers.get('x-amz-request-id'));
    const g = assertS3Ok(await obj('GET', BCK, 'small/4k'));
    assert.ok(g.body.equals(data));
    assert.equal(g.headers.get('etag'), `"${md5(data)}"`);
    assert.equal(g.headers.get('content-length'), String(data.length));
    assert.equal(g.headers.get('content-type'), 'application/octet-stream');
    assert.equal(g.headers.get('accept-ranges'), 'bytes');
    const lm = Date.parse(g.headers.get('last-modified') ?? '');
    assert.ok(Number.isFinite(lm) && Math.abs(lm - Date.now()) < 600_000, `Last-Modified ${g.headers.get('last-modified')}`);
  });

  test('a 5 MiB+ object (streamed read) round-trips byte-exact', async () => {
    const data = randomBytes(5 * MIB + 123);
    const p = await put('big/5m', data);
    assert.equal(p.headers.get('etag'), `"${md5(data)}"`);
    const g = assertS3Ok(await obj('GET', BCK, 'big/5m'));
    assert.equal(g.body.length, data.length);
    assert.ok(g.body.equals(data));
    assert.equal(g.headers.get('etag'), `"${md5(data)}"`);
  });

  test('an empty object', async () => {
    const p = await put('empty', '');
    assert.equal(p.headers.get('etag'), `"${md5('')}"`);
    const g = assertS3Ok(await obj('GET', BCK, 'empty'));
    assert.equal(g.body.length, 0);
    assert.equal(g.headers.get('content-length'), '0');
  });

  test('Content-Type, representation headers and x-amz-meta-* are stored and returned', async () => {
    const headers = {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'max-age=60, must-revalidate',
      'content-disposition': 'attachment; filename="a,b=c.txt"',
      'content-language': 'de',
      'content-encoding': 'identity',
      expires: 'Thu, 01 Dec 2044 16:00:00 GMT',
      'x-amz-meta-color': 'blue, green=teal',
      'X-Amz-Meta-Mixed-Case': 'v',
    };
    await put('meta/one', 'hello', headers);
    for (const method of ['GET', 'HEAD']) {
      const r = assertS3Ok(await obj(method, BCK, 'meta/one'));
      assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(r.headers.get('cache-control'), 'max-age=60, must-revalidate');
      assert.equal(r.headers.get('content-disposition'), 'attachment; filename="a,b=c.txt"');
      assert.equal(r.headers.get('content-language'), 'de');
      assert.equal(r.headers.get('content-encoding'), 'identity');
      assert.equal(r.headers.get('expires'), 'Thu, 01 Dec 2044 16:00:00 GMT');
      assert.equal(r.headers.get('x-amz-meta-color'), 'blue, green=teal');
      assert.equal(r.headers.get('x-amz-meta-mixed-case'), 'v');
      assert.equal(r.headers.get('etag'), `"${md5('hello')}"`);
    }
    // an overwrite replaces all metadata
    await put('meta/one', 'bye', { 'x-amz-meta-other': '1' });
    const h = assertS3Ok(await obj('HEAD', BCK, 'meta/one'));
    assert.equal(h.headers.get('x-amz-meta-color'), null);
    assert.equal(h.headers.get('x-amz-meta-other'), '1');
    assert.equal(h.headers.get('content-type'), 'application/octet-stream');
  });

  test('user metadata over 2 KiB: 400 MetadataTooLarge, nothing stored', async () => {
    const r = await obj('PUT', BCK, 'meta/too-large', { body: 'x', headers: { 'x-amz-meta-big': 'v'.repeat(2100) } });
    assertS3Error(r, 400, 'MetadataTooLarge');
    assertS3Error(await obj('HEAD', BCK, 'meta/too-large'), 404, 'NoSuchKey', true);
  });

  test('Content-MD5: right is stored, wrong is 400 BadDigest, malformed is 400 InvalidDigest', async () => {
    const body = 'content-md5 body';
    const good = createHash('md5').update(body).digest('base64');
    await put('md5/good', body, { 'content-md5': good });
    const bad = await obj('PUT', BCK, 'md5/bad', { body, headers: { 'content-md5': createHash('md5').update('other').digest('base64') } });
    assertS3Error(bad, 400, 'BadDigest');
    assertS3Error(await obj('HEAD', BCK, 'md5/bad'), 404, 'NoSuchKey', true);
    assertS3Error(await obj('PUT', BCK, 'md5/bad', { body, headers: { 'content-md5': 'not-base64!' } }), 400, 'InvalidDigest');
  });

  test('x-amz-checksum-crc32: verified, echoed, returned on GET when asked; a wrong one is 400 BadDigest, nothing stored', async () => {
    const body = 'checksummed body';
    const crc = Buffer.from(await crc32(body), 'hex').toString('base64');
    const p = await put('cks/good', body, { 'x-amz-checksum-crc32': crc });
    assert.equal(p.headers.get('x-amz-checksum-crc32'), crc);
    // stored: GET and HEAD answer it when asked (x-amz-checksum-mode), for the whole object only
    for (const method of ['GET', 'HEAD']) {
      const r = assertS3Ok(await obj(method, BCK, 'cks/good', { headers: { 'x-amz-checksum-mode': 'ENABLED' } }));
      assert.equal(r.headers.get('x-amz-checksum-crc32'), crc, method);
    }
    assert.equal(assertS3Ok(await obj('GET', BCK, 'cks/good')).headers.get('x-amz-checksum-crc32'), null);
    const ranged = assertS3Ok(await obj('GET', BCK, 'cks/good', { headers: { 'x-amz-checksum-mode': 'ENABLED', range: 'bytes=0-3' } }), 206);
    assert.equal(ranged.headers.get('x-amz-checksum-crc32'), null);
    const wrong = Buffer.from(await crc32('other'), 'hex').toString('base64');
    assertS3Error(await obj('PUT', BCK, 'cks/bad', { body, headers: { 'x-amz-checksum-crc32': wrong } }), 400, 'BadDigest');
    assertS3Error(await obj('HEAD', BCK, 'cks/bad'), 404, 'NoSuchKey', true);
  });

  test('a bucket with md5 checksums stores the same ETag', async () => {
    const p = await put('in-md5-bucket', 'abc', {}, BCK_DST);
    assert.equal(p.headers.get('etag'), `"${md5('abc')}"`);
    assert.equal(assertS3Ok(await obj('HEAD', BCK_DST, 'in-md5-bucket')).headers.get('etag'), `"${md5('abc')}"`);
  });
});

describe('missing objects and buckets', () => {
  test('GET of a missing key: 404 NoSuchKey; HEAD: bodiless 404', async () => {
    const e = assertS3Error(await obj('GET', BCK, 'no/such/key'), 404, 'NoSuchKey');
    assert.equal(xtext(e, 'Key'), 'no/such/key');
    assertS3Error(await obj('HEAD', BCK, 'no/such/key'), 404, 'NoSuchKey', true);
  });

  test('object requests in a missing bucket: 404 NoSuchBucket', async () => {
    assertS3Error(await obj('GET', MISSING_BCK, 'k'), 404, 'NoSuchBucket');
    assertS3Error(await obj('PUT', MISSING_BCK, 'k', { body: 'x' }), 404, 'NoSuchBucket');
    assertS3Error(await obj('HEAD', MISSING_BCK, 'k'), 404, 'NoSuchBucket', true);
  });
});

describe('ranges', () => {
  const data = Buffer.from('0123456789abcdefghij'); // 20 bytes
  before(async () => {
    await put('range/obj', data);
  });

  for (const [spec, start, end] of [
    ['bytes=2-5', 2, 5],
    ['bytes=15-', 15, 19],
    ['bytes=-4', 16, 19],
    ['bytes=10-1000', 10, 19],
    ['bytes=-100', 0, 19],
  ] as const) {
    test(`${spec}: 206 with Content-Range`, async () => {
      const r = assertS3Ok(await obj('GET', BCK, 'range/obj', { headers: { range: spec } }), 206);
      assert.equal(r.text, data.subarray(start, end + 1).toString());
      assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/20`);
      assert.equal(r.headers.get('content-length'), String(end - start + 1));
      assert.equal(r.headers.get('etag'), `"${md5(data)}"`);
    });
  }

  test('a range of a 5 MiB object (streamed) is exact', async () => {
    const big = assertS3Ok(await obj('GET', BCK, 'big/5m'));
    const r = assertS3Ok(await obj('GET', BCK, 'big/5m', { headers: { range: `bytes=${MIB - 7}-${4 * MIB + 9}` } }), 206);
    assert.ok(r.body.equals(big.body.subarray(MIB - 7, 4 * MIB + 10)));
  });

  test('unsatisfiable: 416 InvalidRange with Content-Range bytes */size', async () => {
    for (const spec of ['bytes=20-', 'bytes=100-200', 'bytes=-0']) {
      const r = await obj('GET', BCK, 'range/obj', { headers: { range: spec } });
      assertS3Error(r, 416, 'InvalidRange');
      assert.equal(r.headers.get('content-range'), 'bytes */20', spec);
    }
  });

  test('a syntactically invalid Range is ignored: 200 with the whole object', async () => {
    for (const spec of ['bytes=5-2', 'bytes=abc', 'items=0-1', 'bytes=0-1,3-4']) {
      const r = assertS3Ok(await obj('GET', BCK, 'range/obj', { headers: { range: spec } }), 200);
      assert.equal(r.text, data.toString(), spec);
    }
  });

  test('HEAD with a range answers 206 and the range length, no body', async () => {
    const r = assertS3Ok(await obj('HEAD', BCK, 'range/obj', { headers: { range: 'bytes=0-9' } }), 206);
    assert.equal(r.headers.get('content-range'), 'bytes 0-9/20');
    assert.equal(r.body.length, 0);
  });
});

describe('conditional GET/HEAD', () => {
  let etag = '';
  let lastModified = '';
  before(async () => {
    etag = (await put('cond/obj', 'conditional')).headers.get('etag')!;
    lastModified = assertS3Ok(await obj('HEAD', BCK, 'cond/obj')).headers.get('last-modified')!;
  });

  test('If-Match: matching (or *) 200, else 412 PreconditionFailed', async () => {
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-match': etag } }));
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-match': `"x", ${etag}` } }));
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-match': '*' } }));
    assertS3Error(await obj('GET', BCK, 'cond/obj', { headers: { 'if-match': '"deadbeef"' } }), 412, 'PreconditionFailed');
    assertS3Error(await obj('HEAD', BCK, 'cond/obj', { headers: { 'if-match': '"deadbeef"' } }), 412, 'PreconditionFailed', true);
  });

  test('If-Unmodified-Since: past 412; future 200; ignored when If-Match holds', async () => {
    assertS3Error(await obj('GET', BCK, 'cond/obj', { headers: { 'if-unmodified-since': DATE_PAST } }), 412, 'PreconditionFailed');
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-unmodified-since': DATE_FUTURE } }));
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-unmodified-since': lastModified } }));
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-match': etag, 'if-unmodified-since': DATE_PAST } }));
  });

  test('If-None-Match matching: 304 without a body, with ETag and Last-Modified', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await obj(method, BCK, 'cond/obj', { headers: { 'if-none-match': etag } });
      assert.equal(r.status, 304, method);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers.get('etag'), etag);
      assert.equal(r.headers.get('last-modified'), lastModified);
    }
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-none-match': '"other"' } }));
  });

  test('If-Modified-Since: not modified 304; modified 200; ignored when If-None-Match is given', async () => {
    assert.equal((await obj('GET', BCK, 'cond/obj', { headers: { 'if-modified-since': DATE_FUTURE } })).status, 304);
    assert.equal((await obj('GET', BCK, 'cond/obj', { headers: { 'if-modified-since': lastModified } })).status, 304);
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-modified-since': DATE_PAST } }));
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-none-match': '"other"', 'if-modified-since': DATE_FUTURE } }));
    // an invalid date is ignored
    assertS3Ok(await obj('GET', BCK, 'cond/obj', { headers: { 'if-modified-since': 'yesterday' } }));
  });

  test('If-Match is evaluated before If-None-Match (412 wins over 304)', async () => {
    assertS3Error(await obj('GET', BCK, 'cond/obj', { headers: { 'if-match': '"x"', 'if-none-match': etag } }), 412, 'PreconditionFailed');
  });
});

describe('query parameters of GET/HEAD', () => {
  before(async () => {
    await put('query/obj', 'query object', { 'content-type': 'text/plain' });
  });

  test('response-* override the answer headers', async () => {
    const q = {
      'response-content-type': 'application/json',
      'response-content-language': 'fr',
      'response-expires': 'Wed, 21 Oct 2037 07:28:00 GMT',
      'response-cache-control': 'no-cache',
      'response-content-disposition': 'attachment; filename="x.json"',
      'response-content-encoding': 'identity',
    };
    for (const method of ['GET', 'HEAD']) {
      const r = assertS3Ok(await obj(method, BCK, 'query/obj', { query: q }));
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.headers.get('content-language'), 'fr');
      assert.equal(r.headers.get('expires'), 'Wed, 21 Oct 2037 07:28:00 GMT');
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      assert.equal(r.headers.get('content-disposition'), 'attachment; filename="x.json"');
      assert.equal(r.headers.get('content-encoding'), 'identity');
    }
  });

  test('partNumber=1 is the whole object; another part is 416 InvalidPartNumber; junk is 400 InvalidArgument; with Range 400', async () => {
    const r = assertS3Ok(await obj('GET', BCK, 'query/obj', { query: { partNumber: '1' } }));
    assert.equal(r.text, 'query object');
    assertS3Error(await obj('GET', BCK, 'query/obj', { query: { partNumber: '2' } }), 416, 'InvalidPartNumber');
    assertS3Error(await obj('HEAD', BCK, 'query/obj', { query: { partNumber: '2' } }), 416, 'InvalidPartNumber', true);
    assertS3Error(await obj('GET', BCK, 'query/obj', { query: { partNumber: 'zero' } }), 400, 'InvalidArgument');
    assertS3Error(await obj('GET', BCK, 'query/obj', { query: { partNumber: '1' }, headers: { range: 'bytes=0-1' } }), 400, 'InvalidRequest');
  });

  test('versionId=null is the current object; any other version id is 400 InvalidArgument', async () => {
    const r = assertS3Ok(await obj('GET', BCK, 'query/obj', { query: { versionId: 'null' } }));
    assert.equal(r.text, 'query object');
    assertS3Ok(await obj('HEAD', BCK, 'query/obj', { query: { versionId: 'null' } }));
    const e = assertS3Error(await obj('GET', BCK, 'query/obj', { query: { versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' } }), 400, 'InvalidArgument');
    assert.equal(xtext(e, 'Message'), 'Invalid version id specified');
    assertS3Error(await obj('DELETE', BCK, 'query/obj', { query: { versionId: 'v2' } }), 400, 'InvalidArgument');
  });
});

describe('object sub-resources', () => {
  test('?acl: the owner has FULL_CONTROL; PUT is accepted; a missing key is 404 NoSuchKey', async () => {
    await put('sub/obj', 'not an ACL');
    const r = assertS3Ok(await obj('GET', BCK, 'sub/obj', { query: { acl: '' } }));
    assert.equal(r.root, 'AccessControlPolicy');
    assert.match(r.text, /<Permission>FULL_CONTROL<\/Permission>/);
    assertS3Ok(await obj('PUT', BCK, 'sub/obj', { query: { acl: '' }, headers: { 'x-amz-acl': 'private' } }));
    assert.equal(assertS3Ok(await obj('GET', BCK, 'sub/obj')).text, 'not an ACL', 'PUT ?acl leaves the object alone');
    assertS3Error(await obj('GET', BCK, 'sub/missing', { query: { acl: '' } }), 404, 'NoSuchKey');
  });

  test('?tagging: no tags; unsupported sub-resources are 501 NotImplemented', async () => {
    const r = assertS3Ok(await obj('GET', BCK, 'sub/obj', { query: { tagging: '' } }));
    assert.equal(r.root, 'Tagging');
    assertS3Error(await obj('GET', BCK, 'sub/obj', { query: { retention: '' } }), 501, 'NotImplemented');
    assertS3Error(await obj('PUT', BCK, 'sub/obj', { query: { tagging: '' }, body: '<Tagging/>' }), 501, 'NotImplemented');
  });
});

describe('DeleteObject', () => {
  test('204, then the key is gone; deleting a missing key is 204 too', async () => {
    await put('del/obj', 'x');
    assertS3Ok(await obj('DELETE', BCK, 'del/obj'), 204);
    assertS3Error(await obj('GET', BCK, 'del/obj'), 404, 'NoSuchKey');
    assertS3Ok(await obj('DELETE', BCK, 'del/obj'), 204);
    assertS3Ok(await obj('DELETE', BCK, 'del/never-was'), 204);
    await put('del/v', 'x');
    assertS3Ok(await obj('DELETE', BCK, 'del/v', { query: { versionId: 'null' } }), 204);
    assertS3Error(await obj('HEAD', BCK, 'del/v'), 404, 'NoSuchKey', true);
  });

  test('in a missing bucket: 404 NoSuchBucket', async () => {
    assertS3Error(await obj('DELETE', MISSING_BCK, 'k'), 404, 'NoSuchBucket');
  });
});

describe('routed by an older cluster map', () => {
  test('a former owner relays GET, HEAD and DELETE to the current owner (S3 clients do not follow 307)', async () => {
    await put('moved/obj', 'moved on');
    const owner = ownerId(BCK, 'moved/obj');
    const other = Object.values(smap.tmap).find((t) => t.daemon_id !== owner)!;
    const at = (method: string): Promise<S3Result> => s3(other.public_net.direct_url, method, s3Path(BCK, 'moved/obj'), { query: { smap_ver: '1' } });
    assert.ok(Number(smap.version) > 1, 'the cluster map has moved past v1');
    assert.equal(assertS3Ok(await at('GET')).text, 'moved on');
    assert.equal(assertS3Ok(await at('HEAD')).headers.get('content-length'), '8');
    assertS3Ok(await at('DELETE'), 204);
    assertS3Error(await obj('GET', BCK, 'moved/obj'), 404, 'NoSuchKey');
  });
});

describe('awkward keys', () => {
  const keys = [
    'with space/and more spaces.txt',
    'unicode/Grüße/日本語/😀.bin',
    'plus+sign/a+b',
    'percent/100%/%41%zz',
    'double//slash',
    'dir/marker/',
    'trailing//',
    "punct/!$&'()*,;=:@[]~",
    'q/what?is=this&x#frag',
  ];
  for (const key of keys) {
    test(JSON.stringify(key), async () => {
      const body = `body of ${key}`;
      const p = await put(key, body, { 'x-amz-meta-k': 'v' });
      assert.equal(p.headers.get('etag'), `"${md5(body)}"`);
      const g = assertS3Ok(await obj('GET', BCK, key));
      assert.equal(g.text, body);
      const h = assertS3Ok(await obj('HEAD', BCK, key));
      assert.equal(h.headers.get('x-amz-meta-k'), 'v');
      assertS3Ok(await obj('DELETE', BCK, key), 204);
      assertS3Error(await obj('GET', BCK, key), 404, 'NoSuchKey');
    });
  }

  test('`a//b`, `a/b` and `a/` are three objects', async () => {
    await put('three/a/b', '1');
    await put('three/a//b', '2');
    await put('three/c/', '3');
    await put('three/c/d', '4');
    assert.equal(assertS3Ok(await obj('GET', BCK, 'three/a/b')).text, '1');
    assert.equal(assertS3Ok(await obj('GET', BCK, 'three/a//b')).text, '2');
    assert.equal(assertS3Ok(await obj('GET', BCK, 'three/c/')).text, '3');
    assert.equal(assertS3Ok(await obj('GET', BCK, 'three/c/d')).text, '4');
  });

  test('a key of 1024 bytes is fine; 1025 bytes is 400 InvalidArgument', async () => {
    // segments stay under the filesystem's 255-byte name limit
    let key = 'long';
    while (key.length < 1024) key += `/${'k'.repeat(Math.min(200, 1024 - key.length - 1))}`;
    assert.equal(Buffer.byteLength(key), 1024);
    await put(key, 'long');
    assert.equal(assertS3Ok(await obj('GET', BCK, key)).text, 'long');
    assertS3Error(await obj('PUT', BCK, `${key}x`, { body: 'x' }), 400, 'InvalidArgument');
  });
});

describe('CopyObject', () => {
  const srcBody = randomBytes(3 * KIB);
  const srcHeaders = { 'content-type': 'image/png', 'x-amz-meta-origin': 'camera', 'cache-control': 'no-store' };
  before(async () => {
    await put('copy/src', srcBody, srcHeaders);
  });

  function copy(dstBucket: string, dstKey: string, source: string, headers: Record<string, string> = {}): Promise<S3Result> {
    return obj('PUT', dstBucket, dstKey, { headers: { 'x-amz-copy-source': source, ...headers } });
  }

  test('COPY (default): bytes, Content-Type and metadata copied; ETag = MD5; CopyObjectResult', async () => {
    const r = assertS3Ok(await copy(BCK_DST, 'copied', `/${BCK}/copy/src`));
    assert.equal(r.root, 'CopyObjectResult');
    assert.equal(xtext(r.xml, 'ETag'), `"${md5(srcBody)}"`);
    assert.ok(Number.isFinite(Date.parse(xtext(r.xml, 'LastModified'))), 'LastModified is a date');
    const g = assertS3Ok(await obj('GET', BCK_DST, 'copied'));
    assert.ok(g.body.equals(srcBody));
    assert.equal(g.headers.get('etag'), `"${md5(srcBody)}"`);
    assert.equal(g.headers.get('content-type'), 'image/png');
    assert.equal(g.headers.get('cache-control'), 'no-store');
    assert.equal(g.headers.get('x-amz-meta-origin'), 'camera');
  });

  test('REPLACE: metadata from the request', async () => {
    assertS3Ok(await copy(BCK, 'copy/replaced', `${BCK}/copy/src`, { 'x-amz-metadata-directive': 'REPLACE', 'content-type': 'text/x-new', 'x-amz-meta-new': 'yes' }));
    const h = assertS3Ok(await obj('HEAD', BCK, 'copy/replaced'));
    assert.equal(h.headers.get('content-type'), 'text/x-new');
    assert.equal(h.headers.get('x-amz-meta-new'), 'yes');
    assert.equal(h.headers.get('x-amz-meta-origin'), null);
    assert.equal(h.headers.get('cache-control'), null);
  });

  test('onto itself: 400 InvalidRequest without REPLACE; with REPLACE the metadata changes', async () => {
    const e = assertS3Error(await copy(BCK, 'copy/src', `/${BCK}/copy/src`), 400, 'InvalidRequest');
    assert.match(xtext(e, 'Message'), /copy an object to itself without changing the object's metadata/);
    assertS3Error(await copy(BCK, 'copy/src', `/${BCK}/copy/src`, { 'x-amz-metadata-directive': 'COPY' }), 400, 'InvalidRequest');
    await put('copy/self', 'self', { 'x-amz-meta-a': '1' });
    assertS3Ok(await copy(BCK, 'copy/self', `/${BCK}/copy/self`, { 'x-amz-metadata-directive': 'REPLACE', 'x-amz-meta-a': '2' }));
    const g = assertS3Ok(await obj('GET', BCK, 'copy/self'));
    assert.equal(g.text, 'self');
    assert.equal(g.headers.get('x-amz-meta-a'), '2');
  });

  test('URL-encoded source keys, with ?versionId=null', async () => {
    const key = 'copy/spaced name+plus%/ü';
    await put(key, 'encoded');
    const enc = key.split('/').map(encodeURIComponent).join('/');
    assertS3Ok(await copy(BCK, 'copy/from-encoded', `${BCK}/${enc}?versionId=null`));
    assert.equal(assertS3Ok(await obj('GET', BCK, 'copy/from-encoded')).text, 'encoded');
    assertS3Error(await copy(BCK, 'copy/x', `${BCK}/${enc}?versionId=abc`), 400, 'InvalidArgument');
  });

  test('missing source key: 404 NoSuchKey; missing source bucket: 404 NoSuchBucket; malformed: 400', async () => {
    assertS3Error(await copy(BCK, 'copy/x', `/${BCK}/copy/no-such`), 404, 'NoSuchKey');
    assertS3Error(await copy(BCK, 'copy/x', `/${MISSING_BCK}/copy/src`), 404, 'NoSuchBucket');
    assertS3Error(await copy(MISSING_BCK, 'copy/x', `/${BCK}/copy/src`), 404, 'NoSuchBucket');
    assertS3Error(await copy(BCK, 'copy/x', `/${BCK}`), 400, 'InvalidArgument');
    assertS3Error(await obj('HEAD', BCK, 'copy/x'), 404, 'NoSuchKey', true);
  });

  test('x-amz-copy-source-if-*: each failing condition is 412 PreconditionFailed', async () => {
    const etag = `"${md5(srcBody)}"`;
    const src = `/${BCK}/copy/src`;
    for (const h of [
      { 'x-amz-copy-source-if-match': '"nope"' } as Record<string, string>,
      { 'x-amz-copy-source-if-none-match': etag },
      { 'x-amz-copy-source-if-modified-since': DATE_FUTURE },
      { 'x-amz-copy-source-if-unmodified-since': DATE_PAST },
    ]) {
      assertS3Error(await copy(BCK, 'copy/cond', src, h), 412, 'PreconditionFailed');
    }
    assertS3Error(await obj('HEAD', BCK, 'copy/cond'), 404, 'NoSuchKey', true);
    for (const h of [
      { 'x-amz-copy-source-if-match': etag } as Record<string, string>,
      { 'x-amz-copy-source-if-none-match': '"nope"' },
      { 'x-amz-copy-source-if-modified-since': DATE_PAST },
      { 'x-amz-copy-source-if-unmodified-since': DATE_FUTURE },
      { 'x-amz-copy-source-if-match': etag, 'x-amz-copy-source-if-unmodified-since': DATE_PAST },
    ]) {
      assertS3Ok(await copy(BCK, 'copy/cond', src, h));
    }
  });

  test('across targets: a 5 MiB+ source on one target, the destination on another', async () => {
    const data = randomBytes(5 * MIB + 77);
    let srcKey = '';
    let dstKey = '';
    for (let i = 0; i < 100 && dstKey === ''; i++) {
      srcKey = `xt/src-${i}`;
      for (let j = 0; j < 100; j++) {
        if (ownerId(BCK, srcKey) !== ownerId(BCK_DST, `xt/dst-${j}`)) {
          dstKey = `xt/dst-${j}`;
          break;
        }
      }
    }
    assert.notEqual(dstKey, '', 'found keys on two targets');
    await put(srcKey, data, { 'x-amz-meta-far': 'away' });
    const r = assertS3Ok(await copy(BCK_DST, dstKey, `/${BCK}/${srcKey}`));
    assert.equal(xtext(r.xml, 'ETag'), `"${md5(data)}"`);
    const g = assertS3Ok(await obj('GET', BCK_DST, dstKey));
    assert.ok(g.body.equals(data));
    assert.equal(g.headers.get('x-amz-meta-far'), 'away');
    assert.equal(g.headers.get('etag'), `"${md5(data)}"`);
    // the remote source's conditions and a missing remote key
    assertS3Error(await copy(BCK_DST, dstKey, `/${BCK}/${srcKey}`, { 'x-amz-copy-source-if-match': '"nope"' }), 412, 'PreconditionFailed');
    assertS3Error(await copy(BCK_DST, dstKey, `/${BCK}/${srcKey}-missing`), 404, 'NoSuchKey');
  });
});
