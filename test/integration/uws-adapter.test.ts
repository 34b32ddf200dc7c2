// The uWebSockets.js adapter held to the same behaviour as node:http, on a whole cluster whose nodes
// all serve their public API through it (on Node >= 22 the adapter falls back to node:http, and
// these tests must still pass). HTTP/1.0 and malformed requests are not sent: that uWS build hangs
// on them (stack notes), which is why node:http stays the default.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createXXHash64 } from 'hash-wasm';
import { createBucket, getObj, objUrl, putObj, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { assertAisError, http } from '../support/cluster-helpers.ts';

describe('a cluster on the uWS adapter', () => {
  let c: ObjCluster;
  const data = randomBytes(3 * 1024 * 1024 + 17);

  before(async () => {
    c = await startObjCluster({ httpAdapter: 'uws' });
    await createBucket(c.proxyUrl, 'uw');
  });
  after(async () => c?.close());

  test('PUT through the redirect, GET byte-exact with AIS headers', async () => {
    const put = await putObj(c.proxyUrl, 'uw', 'dir/big.bin', data);
    assert.equal(put.status, 200);
    const { res, body } = await getObj(c.proxyUrl, 'uw', 'dir/big.bin');
    assert.equal(res.status, 200);
    assert.ok(body.equals(data), 'bytes differ');
    const h = await createXXHash64();
    h.init();
    h.update(data);
    assert.equal(res.headers.get('ais-checksum-type'), 'xxhash2');
    assert.equal(res.headers.get('ais-checksum-value'), h.digest('hex'));
    assert.equal(res.headers.get('ais-version'), '1');
  });

  test('Range → 206 with Content-Range; unsatisfiable → 416', async () => {
    const { res, body } = await getObj(c.proxyUrl, 'uw', 'dir/big.bin', { headers: { range: 'bytes=100-199' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), `bytes 100-199/${data.length}`);
    assert.ok(body.equals(data.subarray(100, 200)));
    const bad = await getObj(c.proxyUrl, 'uw', 'dir/big.bin', { headers: { range: `bytes=${data.length}-` } });
    assert.equal(bad.res.status, 416);
    assert.equal(JSON.parse(bad.body.toString()).tcode, 'ErrRangeNotSatisfiable');
  });

  test('HEAD of a missing object: 404 with the error in hdr-error', async () => {
    const r = await http(objUrl(c.proxyUrl, 'uw', 'nope'), { method: 'HEAD' });
    assert.equal(r.status, 307);
    const t = await http(r.headers.get('location')!, { method: 'HEAD' });
    assertAisError(t, 404, 'ErrObjNotFound', 'nope', true);
  });

  test('list objects through the proxy', async () => {
    const r = await http(`${c.proxyUrl}/v1/buckets/uw`, { method: 'GET', body: JSON.stringify({ action: 'list', value: { props: 'name,size' } }) });
    assert.equal(r.status, 200);
    const res = JSON.parse(r.text) as { entries: { name: string; size: string }[] };
    assert.deepEqual(res.entries, [{ name: 'dir/big.bin', size: String(data.length) }]);
  });

  test('bad input keeps its AIS error: invalid bucket name, oversized headers', async () => {
    assertAisError(await http(`${c.proxyUrl}/v1/buckets/a..b`, { method: 'POST', body: '{"action":"create-bck"}' }), 400, 'ErrInvalidBckName');
    const big = await http(`${c.proxyUrl}/v1/health`, { headers: { 'x-big': 'x'.repeat(20 * 1024) } });
    assert.equal(big.status, 431);
  });

  test('a wrong checksum on PUT stores nothing', async () => {
    const body = randomBytes(1000);
    const r = await putObj(c.proxyUrl, 'uw', 'cks', body, { 'ais-checksum-type': 'xxhash2', 'ais-checksum-value': '0000000000000000' });
    assert.equal(r.status, 400);
    const g = await getObj(c.proxyUrl, 'uw', 'cks');
    assert.equal(g.res.status, 404);
  });
});
