// Two endpoints in one process over real loopback WebSockets: requests, responses, errors with
// their tcode and status, notifications, big binary bodies, and more requests than the window.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrBckNotFound, ErrRemote } from '../../../protocol/errors.ts';
import { INFLIGHT_REQUESTS_MAX, createMsgEndpoint } from '../../../runtime/transport/endpoint.ts';
import type { MsgEndpoint } from '../../../runtime/transport/types.ts';
import { deferred, realNetEnv } from './transport-test-env.ts';

let target: MsgEndpoint;
let proxy: MsgEndpoint;
let url: string;
const notified = deferred<{ body: unknown; from: string }>();

before(async () => {
  target = createMsgEndpoint(realNetEnv('t1'), { nodeId: 't1' });
  proxy = createMsgEndpoint(realNetEnv('p1'), { nodeId: 'p1' });
  target.handle('echo', async (body, from) => ({ body, from }));
  target.handle('bck.get', async (body) => {
    throw new ErrBckNotFound(String((body as { bck: string }).bck));
  });
  target.handle('plain.throw', () => {
    throw new TypeError('not a shoal error');
  });
  target.handle('blob.reverse', async (body) => {
    const data = (body as { data: Uint8Array }).data;
    assert.ok(data instanceof Uint8Array);
    return { data: Uint8Array.from(data).reverse(), size: data.byteLength };
  });
  target.handle('smap.notify', async (body, from) => {
    notified.resolve({ body, from });
    return 'ignored';
  });
  const port = await target.listen('127.0.0.1', 0);
  assert.ok(port > 0);
  url = `ws://127.0.0.1:${port}`;
});

after(async () => {
  await proxy.close();
  await target.close();
});

test('a request gets its response body, and the handler sees the sender node id', async () => {
  const r = await proxy.request<{ body: unknown; from: string }>(url, 'echo', { a: 1, s: 'x', list: [1, 2, 3], big: 10n ** 15n });
  assert.deepEqual(r, { body: { a: 1, s: 'x', list: [1, 2, 3], big: 10n ** 15n }, from: 'p1' });
});

test('a ShoalError thrown by the handler arrives with its tcode, status and message', async () => {
  const err = await proxy.request(url, 'bck.get', { bck: 'nope' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ErrRemote);
  assert.equal(err.tcode, 'ErrBckNotFound');
  assert.equal(err.status, 404);
  assert.equal(err.message, 'bucket "nope" does not exist');
});

test('any other exception, even a synchronous throw, arrives as ErrInternal 500', async () => {
  await assert.rejects(proxy.request(url, 'plain.throw', null), { tcode: 'ErrInternal', status: 500, message: 'not a shoal error' });
});

test('an unknown message kind is answered with ErrUnknownAction', async () => {
  await assert.rejects(proxy.request(url, 'no.such.kind', {}), { tcode: 'ErrUnknownAction', status: 400 });
});

test('a 4 MiB binary body round-trips byte-exact', async () => {
  const size = 4 * 1024 * 1024;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;
  const r = await proxy.request<{ data: Uint8Array; size: number }>(url, 'blob.reverse', { data });
  assert.equal(r.size, size);
  assert.ok(r.data instanceof Uint8Array);
  assert.equal(r.data.byteLength, size);
  assert.ok(Buffer.from(r.data).equals(Buffer.from(Uint8Array.from(data).reverse())));
});

test('more concurrent requests than the in-flight window all get their own responses', async () => {
  const n = INFLIGHT_REQUESTS_MAX * 3 + 7;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => proxy.request<{ body: number }>(url, 'echo', i)));
  assert.deepEqual(results.map((r) => r.body), Array.from({ length: n }, (_, i) => i));
});

test('a notification reaches the handler; its result goes nowhere', async () => {
  proxy.notify(url, 'smap.notify', { version: 7 });
  assert.deepEqual(await notified.promise, { body: { version: 7 }, from: 'p1' });
});

test('the same endpoint serves and requests at once (both directions)', async () => {
  proxy.handle('ping', async (body) => `pong ${String(body)}`);
  const proxyPort = await proxy.listen('127.0.0.1', 0);
  assert.equal(await target.request(`ws://127.0.0.1:${proxyPort}`, 'ping', 'x'), 'pong x');
});

test('a congested socket makes requests wait for it to drain, and they all complete', async () => {
  const sender = createMsgEndpoint(realNetEnv('p2'), { nodeId: 'p2', sendBufferedBytesHigh: 1 });
  try {
    const data = new Uint8Array(1024 * 1024).fill(9);
    const results = await Promise.all(Array.from({ length: 8 }, () => sender.request<{ size: number }>(url, 'blob.reverse', { data })));
    assert.deepEqual(results.map((r) => r.size), Array(8).fill(data.byteLength));
  } finally {
    await sender.close();
  }
});

test('requests beyond the pending queue bound are refused at once with a 503', async () => {
  const sender = createMsgEndpoint(realNetEnv('p3'), { nodeId: 'p3', pendingRequestsMax: 2 });
  try {
    // Issued synchronously, all three wait for the connection: the third finds the queue full.
    const first = sender.request(url, 'echo', 1);
    const second = sender.request(url, 'echo', 2);
    await assert.rejects(sender.request(url, 'echo', 3), { tcode: 'ErrNotReady', status: 503 });
    assert.deepEqual(await Promise.all([first, second]), [{ body: 1, from: 'p3' }, { body: 2, from: 'p3' }]);
  } finally {
    await sender.close();
  }
});

test('close() rejects requests still waiting and refuses new ones', async () => {
  const sender = createMsgEndpoint(realNetEnv('p4'), { nodeId: 'p4' });
  const waiting = sender.request(url, 'echo', 1);
  await sender.close();
  await assert.rejects(waiting, { tcode: 'ErrNotReady' });
  await assert.rejects(sender.request(url, 'echo', 2), { tcode: 'ErrNotReady' });
});
