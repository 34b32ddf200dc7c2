import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pack } from 'msgpackr';
import { HttpClient } from '../../../bench/http-client.ts';
import { listAll, parsePage } from '../../../bench/list.ts';
import { listen, objectHandler, portOf, redirectHandler } from '../../../bench/object-server.ts';
import { objectPath } from '../../../bench/objects.ts';
import { createBucket } from '../../../bench/preload.ts';
import { generatedBody } from '../../../bench/rss.ts';

async function withDevCluster(fn: (proxyUrl: string, root: string, proxyBodyBytes: () => number) => Promise<void>): Promise<void> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'bench-test-'));
  const target = await listen(objectHandler(root, { buckets: true }));
  const r = redirectHandler(root, `http://127.0.0.1:${portOf(target)}`);
  let proxyBodyBytes = 0;
  // Counts object bytes that reach the proxy: with Expect: 100-continue there must be none.
  const count = (h: typeof r.handler) => (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.url?.startsWith('/v1/objects/')) req.on('data', (c: Buffer) => (proxyBodyBytes += c.length));
    h(req, res);
  };
  const proxy = await listen(count(r.handler), count(r.checkContinue));
  try {
    await fn(`http://127.0.0.1:${portOf(proxy)}`, root, () => proxyBodyBytes);
  } finally {
    proxy.closeAllConnections();
    target.closeAllConnections();
    await new Promise((res) => proxy.close(res));
    await new Promise((res) => target.close(res));
    await fsp.rm(root, { recursive: true, force: true });
  }
}

test('PUT with Expect: 100-continue follows the 307 and sends the body to the target only', async () => {
  await withDevCluster(async (proxyUrl, root, proxyBodyBytes) => {
    const client = new HttpClient({ maxSockets: 4 });
    try {
      await createBucket(client, proxyUrl, 'b');
      const body = randomBytes(256 * 1024);
      const put = await client.send('PUT', proxyUrl + objectPath('b', 1), { body, expectContinue: true });
      assert.equal(put.status, 200);
      assert.equal(put.redirects, 1);
      assert.equal(proxyBodyBytes(), 0);
      assert.deepEqual(await fsp.readFile(path.join(root, objectPath('b', 1))), body);

      const get = await client.send('GET', proxyUrl + objectPath('b', 1), { collect: true });
      assert.equal(get.status, 200);
      assert.equal(get.redirects, 1);
      assert.equal(get.bytes, body.length);
      assert.deepEqual(get.body, body);

      const missing = await client.send('GET', proxyUrl + objectPath('b', 2));
      assert.equal(missing.status, 404);
    } finally {
      client.close();
    }
  });
});

test('a streamed body is replayed after the redirect', async () => {
  await withDevCluster(async (proxyUrl, root) => {
    const client = new HttpClient({ maxSockets: 2 });
    try {
      await createBucket(client, proxyUrl, 'b');
      const chunk = randomBytes(1000);
      const size = 10_500;
      const put = await client.send('PUT', proxyUrl + objectPath('b', 7), { body: generatedBody(size, chunk), bodyBytes: size, expectContinue: true });
      assert.equal(put.status, 200);
      const stored = await fsp.readFile(path.join(root, objectPath('b', 7)));
      assert.equal(stored.length, size);
      assert.deepEqual(stored.subarray(10_000), chunk.subarray(0, 500));
    } finally {
      client.close();
    }
  });
});

test('listing pages through JSON and msgpack replies', async () => {
  await withDevCluster(async (proxyUrl) => {
    const client = new HttpClient({ maxSockets: 2 });
    try {
      await createBucket(client, proxyUrl, 'b');
      for (let i = 0; i < 5; i++) await client.send('PUT', proxyUrl + objectPath('b', i), { body: Buffer.from('x') });
      for (const format of ['json', 'msgpack'] as const) {
        const p = await listAll(client, proxyUrl, 'b', format);
        assert.equal(p.names, 5, format);
        assert.equal(p.pages, 1, format);
      }
    } finally {
      client.close();
    }
  });
});

test('page parsing reads AIS keys in both encodings', () => {
  assert.deepEqual(parsePage('json', Buffer.from(JSON.stringify({ entries: [{ name: 'a' }, { name: 'b' }], continuation_token: 'b' }))), {
    names: 2, lastName: 'b', token: 'b',
  });
  assert.deepEqual(parsePage('json', Buffer.from(JSON.stringify({ entries: null, continuation_token: '' }))), { names: 0, lastName: '', token: '' });
  assert.deepEqual(parsePage('msgpack', pack({ Entries: [{ n: 'x' }], ContinuationToken: '' })), { names: 1, lastName: 'x', token: '' });
});
