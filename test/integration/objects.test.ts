// Object I/O against a real 1-proxy/3-target cluster: PUT/GET byte-exact, chunked PUT, AIS property
// headers, versioning, ranges, checksums (given on PUT, validated on GET, corrupted on disk),
// DELETE, custom metadata, and a bucket with md5 checksums.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { xxhash64 } from 'hash-wasm';
import {
  createBucket, getObj, objFilesOn, objUrl, parseAisError, putObj, putObjText, redirectLocation, startObjCluster, targetByUrl, type ObjCluster,
} from '../support/obj-helpers.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
const BCK = 'objs';
const BCK_MD5 = 'objs-md5';
/** Unix ns of 2020-01-01: an atime below it is not a real clock reading. */
const ATIME_NS_MIN = 1_577_836_800n * 1_000_000_000n;

let c: ObjCluster;

before(async () => {
  c = await startObjCluster();
  await createBucket(c.proxyUrl, BCK);
  await createBucket(c.proxyUrl, BCK_MD5, { checksum: { type: 'md5' } });
});

after(async () => {
  await c?.close();
});

async function putOk(obj: string, data: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  const res = await putObj(c.proxyUrl, BCK, obj, data, headers);
  assert.equal(res.status, 200, `PUT ${obj}`);
  return res;
}

describe('PUT then GET is byte-exact', () => {
  for (const size of [0, 1, 100 * KIB, 5 * MIB]) {
    test(`${size} bytes`, async () => {
      const data = randomBytes(size);
      const obj = `sizes/obj-${size}`;
      await putOk(obj, data);
      const { res, body } = await getObj(c.proxyUrl, BCK, obj);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-length'), String(size));
      assert.equal(body.length, size);
      assert.ok(body.equals(data), 'GET returns the PUT bytes');
    });
  }
});

test('chunked PUT (no Content-Length) at the target stores the right bytes', async () => {
  const obj = 'chunked/streamed';
  const location = await redirectLocation(c.proxyUrl, 'PUT', BCK, obj);
  const parts = [randomBytes(1000), randomBytes(64 * KIB), randomBytes(1), randomBytes(300 * KIB)];
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(location, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
  assert.equal(status, 200);
  const { res, body } = await getObj(c.proxyUrl, BCK, obj);
  assert.equal(res.status, 200);
  assert.ok(body.equals(Buffer.concat(parts)), 'chunked body stored as sent');
});

test('GET carries content-length, xxhash2 checksum, atime and version', async () => {
  const data = randomBytes(12_345);
  const obj = 'props/get';
  await putOk(obj, data);
  const { res, body } = await getObj(c.proxyUrl, BCK, obj);
  assert.equal(res.status, 200);
  assert.ok(body.equals(data));
  assert.equal(res.headers.get('content-length'), String(data.length));
  assert.equal(res.headers.get('ais-checksum-type'), 'xxhash2');
  const want = await xxhash64(data, 0, 0);
  assert.match(want, /^[0-9a-f]{16}$/);
  assert.equal(res.headers.get('ais-checksum-value'), want);
  const atime = res.headers.get('ais-atime');
  assert.match(atime ?? '', /^\d+$/, 'ais-atime is unix ns, decimal');
  assert.ok(BigInt(atime!) > ATIME_NS_MIN, `ais-atime ${atime} is in nanoseconds`);
  assert.equal(res.headers.get('ais-version'), '1');
});

test('HEAD has the props plus ais-name, ais-present, ais-location', async () => {
  const data = randomBytes(777);
  const obj = 'props/head';
  await putOk(obj, data);
  const location = await redirectLocation(c.proxyUrl, 'HEAD', BCK, obj);
  const owner = targetByUrl(c.cluster, location);
  const res = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), '777');
  assert.equal(res.headers.get('ais-checksum-type'), 'xxhash2');
  assert.equal(res.headers.get('ais-checksum-value'), await xxhash64(data, 0, 0));
  assert.match(res.headers.get('ais-atime') ?? '', /^\d+$/);
  assert.equal(res.headers.get('ais-version'), '1');
  assert.equal(res.headers.get('ais-name'), obj);
  assert.equal(res.headers.get('ais-present'), 'true');
  assert.ok((res.headers.get('ais-location') ?? '').includes(owner.id), `ais-location names the owner ${owner.id}: ${res.headers.get('ais-location')}`);
});

test('version increments on every PUT', async () => {
  const obj = 'versions/v';
  for (const want of ['1', '2', '3']) {
    const data = randomBytes(100);
    await putOk(obj, data);
    const res = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('ais-version'), want);
    const { body } = await getObj(c.proxyUrl, BCK, obj);
    assert.ok(body.equals(data), `content of version ${want}`);
  }
});

describe('Range', () => {
  const obj = 'range/r';
  const data = randomBytes(1000);
  before(async () => {
    await putOk(obj, data);
  });

  test('bytes=0-9 → 206 with content-range and exact bytes', async () => {
    const { res, body } = await getObj(c.proxyUrl, BCK, obj, { headers: { range: 'bytes=0-9' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), 'bytes 0-9/1000');
    assert.equal(res.headers.get('content-length'), '10');
    assert.ok(body.equals(data.subarray(0, 10)));
  });

  test('bytes=-5 → the last 5 bytes', async () => {
    const { res, body } = await getObj(c.proxyUrl, BCK, obj, { headers: { range: 'bytes=-5' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), 'bytes 995-999/1000');
    assert.ok(body.equals(data.subarray(995)));
  });

  test('bytes=10- → from byte 10 to the end', async () => {
    const { res, body } = await getObj(c.proxyUrl, BCK, obj, { headers: { range: 'bytes=10-' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), 'bytes 10-999/1000');
    assert.ok(body.equals(data.subarray(10)));
  });

  test('bytes=<size>- → 416 with content-range bytes */size', async () => {
    const { res, body } = await getObj(c.proxyUrl, BCK, obj, { headers: { range: 'bytes=1000-' } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), 'bytes */1000');
    const err = parseAisError(body);
    assert.equal(err.tcode, 'ErrRangeNotSatisfiable');
    assert.equal(err.status, 416);
    assert.match(err.message, /not satisfiable/);
  });
});

describe('checksum given on PUT', () => {
  test('correct xxhash2 value → 200', async () => {
    const data = randomBytes(5000);
    const obj = 'cksum/good';
    await putOk(obj, data, { 'ais-checksum-type': 'xxhash2', 'ais-checksum-value': await xxhash64(data, 0, 0) });
    const { res, body } = await getObj(c.proxyUrl, BCK, obj);
    assert.equal(res.status, 200);
    assert.ok(body.equals(data));
  });

  test('wrong value on a new object → 400 ErrBadCksum, nothing stored', async () => {
    const data = randomBytes(5000);
    const obj = 'cksum/bad-new';
    const res = await putObjText(c.proxyUrl, BCK, obj, data, { 'ais-checksum-type': 'xxhash2', 'ais-checksum-value': '0123456789abcdef' });
    assert.equal(res.status, 400);
    const err = parseAisError(res.text);
    assert.equal(err.tcode, 'ErrBadCksum');
    assert.match(err.message, /0123456789abcdef/);
    const got = await getObj(c.proxyUrl, BCK, obj);
    assert.equal(got.res.status, 404);
    assert.equal(parseAisError(got.body).tcode, 'ErrObjNotFound');
  });

  test('wrong value on an existing object → 400, old content and version remain', async () => {
    const obj = 'cksum/bad-existing';
    const old = randomBytes(3000);
    await putOk(obj, old);
    await putOk(obj, old); // version 2
    const res = await putObjText(c.proxyUrl, BCK, obj, randomBytes(3000), { 'ais-checksum-type': 'xxhash2', 'ais-checksum-value': 'ffffffffffffffff' });
    assert.equal(res.status, 400);
    assert.equal(parseAisError(res.text).tcode, 'ErrBadCksum');
    const { res: g, body } = await getObj(c.proxyUrl, BCK, obj);
    assert.equal(g.status, 200);
    assert.ok(body.equals(old), 'old content kept');
    assert.equal(g.headers.get('ais-version'), '2');
  });
});

test('GET ?validate-checksum=true: 200, then ErrBadCksum once the file is corrupted on disk', async () => {
  const obj = 'cksum/validate';
  const data = randomBytes(64 * KIB);
  await putOk(obj, data);
  const ok = await getObj(c.proxyUrl, BCK, obj, {}, '?validate-checksum=true');
  assert.equal(ok.res.status, 200);
  assert.ok(ok.body.equals(data));

  const owner = targetByUrl(c.cluster, await redirectLocation(c.proxyUrl, 'GET', BCK, obj));
  const files = await objFilesOn(owner, BCK, obj);
  assert.equal(files.length, 1, `one object file on the owner ${owner.id}`);
  const corrupt = Buffer.from(data.map((b) => b ^ 0xff));
  await writeFile(files[0]!, corrupt);

  const bad = await getObj(c.proxyUrl, BCK, obj, {}, '?validate-checksum=true');
  assert.ok(bad.res.status >= 400 && bad.res.status < 600, `error status, got ${bad.res.status}`);
  const err = parseAisError(bad.body);
  assert.equal(err.tcode, 'ErrBadCksum', `tcode (status ${bad.res.status}, message ${err.message})`);
  assert.match(err.message, /checksum/i);
});

test('DELETE → 200, then GET 404 ErrObjNotFound and HEAD 404 with hdr-error', async () => {
  const obj = 'del/d';
  await putOk(obj, randomBytes(10));
  const del = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'DELETE' });
  await del.arrayBuffer();
  assert.equal(del.status, 200);
  const { res, body } = await getObj(c.proxyUrl, BCK, obj);
  assert.equal(res.status, 404);
  const err = parseAisError(body);
  assert.equal(err.tcode, 'ErrObjNotFound');
  assert.match(err.message, /del\/d/);
  const head = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'HEAD' });
  assert.equal(head.status, 404);
  const hdr = head.headers.get('hdr-error');
  assert.ok(hdr, 'hdr-error present');
  assert.equal(parseAisError(hdr).tcode, 'ErrObjNotFound');
});

test('PATCH custom metadata (307 followed by hand) → HEAD shows ais-custom-md', async () => {
  const obj = 'custom/m';
  await putOk(obj, randomBytes(10));
  const first = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'PATCH', redirect: 'manual', body: '{"value":{"k1":"v1"}}' });
  await first.arrayBuffer();
  assert.equal(first.status, 307);
  const location = first.headers.get('location')!;
  const res = await fetch(location, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: { k1: 'v1' } }) });
  assert.equal(res.status, 200, await res.text());
  const head = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('ais-custom-md'), 'k1=v1');
});

test('bucket with md5 checksums: ais-checksum-type md5 and the md5 hex', async () => {
  const data = randomBytes(10_000);
  const obj = 'm';
  const put = await putObj(c.proxyUrl, BCK_MD5, obj, data);
  assert.equal(put.status, 200);
  const { res, body } = await getObj(c.proxyUrl, BCK_MD5, obj);
  assert.equal(res.status, 200);
  assert.ok(body.equals(data));
  assert.equal(res.headers.get('ais-checksum-type'), 'md5');
  assert.equal(res.headers.get('ais-checksum-value'), createHash('md5').update(data).digest('hex'));
});
