// Bad input gets an exact 4xx with the AIS error JSON (tcode, message), never a crash or partial
// data. Paths with `..` go over a raw socket: fetch would normalize them away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  createBucket, getObj, objFilesOn, parseAisError, putObjText, rawExchange, rawHead, redirectLocation, startObjCluster, targetByUrl,
  targets, type ObjCluster,
} from '../support/obj-helpers.ts';

const BCK = 'bad';
/** Over node:http's (and Shoal's) 16 KiB header limit. */
const HUGE_HEADER_BYTES = 20 * 1024;

let c: ObjCluster;

before(async () => {
  c = await startObjCluster();
  await createBucket(c.proxyUrl, BCK);
});

after(async () => {
  await c?.close();
});

describe('object names that escape the bucket → 400 ErrInvalidObjName', () => {
  const cases: { name: string; path: string; message: RegExp }[] = [
    { name: 'encoded ../../etc/passwd', path: `/v1/objects/${BCK}/..%2F..%2Fetc%2Fpasswd`, message: /escapes its bucket/ },
    { name: 'raw a/../../x', path: `/v1/objects/${BCK}/a/../../x`, message: /escapes its bucket/ },
    { name: 'absolute %2Fabs', path: `/v1/objects/${BCK}/%2Fabs`, message: /absolute/ },
    { name: 'NUL %00', path: `/v1/objects/${BCK}/a%00b`, message: /NUL/ },
  ];
  for (const cs of cases) {
    for (const where of ['proxy', 'target'] as const) {
      test(`${cs.name} at the ${where}`, async () => {
        const base = where === 'proxy' ? c.proxyUrl : targets(c.cluster)[0]!.publicUrl;
        for (const method of ['GET', 'PUT']) {
          const head = rawHead(method, base, cs.path, method === 'PUT' ? { 'Content-Length': '3' } : {});
          const res = await rawExchange(base, head, method === 'PUT' ? Buffer.from('abc') : undefined);
          assert.equal(res.status, 400, `${method} ${cs.path}: ${res.raw.toString('latin1').slice(0, 300)}`);
          const err = parseAisError(res.body);
          assert.equal(err.tcode, 'ErrInvalidObjName');
          assert.equal(err.status, 400);
          assert.match(err.message, cs.message);
        }
      });
    }
  }

  test('nothing was written outside the bucket', async () => {
    for (const t of targets(c.cluster)) {
      assert.deepEqual(await objFilesOn(t, BCK, 'abs'), []);
      assert.deepEqual(await objFilesOn(t, BCK, 'x'), []);
    }
  });
});

test('missing bucket → 404 ErrBckNotFound', async () => {
  const { res, body } = await getObj(c.proxyUrl, 'no-such-bucket', 'o');
  assert.equal(res.status, 404);
  const err = parseAisError(body);
  assert.equal(err.tcode, 'ErrBckNotFound');
  assert.match(err.message, /no-such-bucket/);
  assert.match(err.message, /does not exist/);
});

test('missing object GET → 404 ErrObjNotFound', async () => {
  const { res, body } = await getObj(c.proxyUrl, BCK, 'no/such/object');
  assert.equal(res.status, 404);
  const err = parseAisError(body);
  assert.equal(err.tcode, 'ErrObjNotFound');
  assert.match(err.message, /no\/such\/object/);
  assert.equal(err.method, 'GET');
  assert.equal(err.url_path, `/v1/objects/${BCK}/no/such/object`);
});

// (POST is the native multipart API since issue 6: see s3-multipart.test.ts)
test('OPTIONS /v1/objects/B/O → 405 ErrMethodNotAllowed', async () => {
  const res = await fetch(`${c.proxyUrl}/v1/objects/${BCK}/o`, { method: 'OPTIONS', redirect: 'manual' });
  assert.equal(res.status, 405);
  const err = parseAisError(await res.text());
  assert.equal(err.tcode, 'ErrMethodNotAllowed');
  assert.match(err.message, /OPTIONS/);
  assert.ok((res.headers.get('allow') ?? '').includes('GET'), `allow: ${res.headers.get('allow')}`);
});

test('DELETE /v1/cluster?what=smap → 405 ErrMethodNotAllowed', async () => {
  const res = await fetch(`${c.proxyUrl}/v1/cluster?what=smap`, { method: 'DELETE' });
  assert.equal(res.status, 405);
  const err = parseAisError(await res.text());
  assert.equal(err.tcode, 'ErrMethodNotAllowed');
  assert.match(err.message, /DELETE/);
});

test('a 20 KiB header → 431', async () => {
  const head = rawHead('GET', c.proxyUrl, `/v1/objects/${BCK}/o`, { 'X-Huge': 'a'.repeat(HUGE_HEADER_BYTES) });
  const res = await rawExchange(c.proxyUrl, head);
  assert.equal(res.status, 431, res.raw.toString('latin1').slice(0, 300));
  const err = parseAisError(res.body);
  assert.equal(err.tcode, 'ErrHeadersTooLarge');
  const health = await fetch(`${c.proxyUrl}/v1/health`);
  assert.equal(health.status, 200, 'the proxy still serves');
});

test('unknown path /v1/nonsense → 404', async () => {
  const res = await fetch(`${c.proxyUrl}/v1/nonsense`);
  assert.equal(res.status, 404);
  const err = parseAisError(await res.text());
  assert.equal(err.tcode, 'ErrNotFound');
  assert.match(err.message, /\/v1\/nonsense/);
});

test('GET /v1/cluster?what=bogus → 400', async () => {
  const res = await fetch(`${c.proxyUrl}/v1/cluster?what=bogus`);
  assert.equal(res.status, 400);
  const err = parseAisError(await res.text());
  assert.equal(err.tcode, 'ErrInvalidArgument');
  assert.match(err.message, /bogus/);
});

test('body shorter than its Content-Length (then half-close) → the object is not created', async () => {
  const obj = 'short/body';
  const location = new URL(await redirectLocation(c.proxyUrl, 'PUT', BCK, obj));
  const owner = targetByUrl(c.cluster, location.href);
  const head = rawHead('PUT', location.href, `${location.pathname}${location.search}`, { 'Content-Length': '1000' }).replace(
    'Connection: close\r\n',
    '',
  );
  const res = await rawExchange(location.href, head, randomBytes(10), { endAfterWrite: true });
  // Either an error answer or a close; never a success.
  if (res.status !== 0) {
    assert.equal(res.status, 400, res.raw.toString('latin1').slice(0, 300));
    const err = parseAisError(res.body);
    assert.ok(['ErrIncompleteBody', 'ErrInvalidArgument'].includes(err.tcode), res.body.toString());
  }
  const { res: g, body } = await getObj(c.proxyUrl, BCK, obj);
  assert.equal(g.status, 404);
  assert.equal(parseAisError(body).tcode, 'ErrObjNotFound');
  assert.deepEqual(await objFilesOn(owner, BCK, obj), []);
});

test('Ais-Checksum-Type: bogus → 400', async () => {
  const obj = 'cksum/bogus';
  const res = await putObjText(c.proxyUrl, BCK, obj, randomBytes(10), { 'ais-checksum-type': 'bogus', 'ais-checksum-value': '0123' });
  assert.equal(res.status, 400);
  const err = parseAisError(res.text);
  assert.equal(err.tcode, 'ErrInvalidArgument');
  assert.match(err.message, /bogus/);
  const { res: g } = await getObj(c.proxyUrl, BCK, obj);
  assert.equal(g.status, 404, 'not stored');
});

test('a test-only job kind is refused unless the proxy config allows test jobs → 400', async () => {
  const res = await fetch(`${c.proxyUrl}/v1/cluster`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'start', value: { Kind: 'test-fail' } }),
  });
  assert.equal(res.status, 400);
  const err = parseAisError(await res.text());
  assert.equal(err.tcode, 'ErrInvalidArgument');
  assert.match(err.message, /unknown xaction kind "test-fail"/);
});
