// Request timeouts on fake time over real loopback sockets: a request whose answer does not come in
// time fails with ErrTimeout, its late answer is dropped, and the connection keeps working.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { ErrTimeout } from '../../../protocol/errors.ts';
import { REQUEST_TIMEOUT_MS_DEFAULT, createMsgEndpoint } from '../../../runtime/transport/endpoint.ts';
import { deferred, fakeTimeRealNetEnv } from './transport-test-env.ts';

test('a request times out with ErrTimeout; the late response is dropped; the connection stays usable', async () => {
  const serverEnv = fakeTimeRealNetEnv('t1');
  const clientEnv = fakeTimeRealNetEnv('p1');
  const target = createMsgEndpoint(serverEnv, { nodeId: 't1' });
  const proxy = createMsgEndpoint(clientEnv, { nodeId: 'p1' });
  try {
    const reached = deferred();
    const release = deferred<string>();
    target.handle('slow', async () => {
      reached.resolve();
      return release.promise;
    });
    target.handle('fast', async (body) => body);
    const url = `ws://127.0.0.1:${await target.listen('127.0.0.1', 0)}`;

    const slow = proxy.request(url, 'slow', null, { timeoutMs: 1_000 });
    const outcome = slow.then(() => 'resolved', (e: unknown) => e);
    await reached.promise; // the request is in flight on the peer
    await clientEnv.advance(999);
    assert.equal(await Promise.race([outcome, Promise.resolve('pending')]), 'pending');
    await clientEnv.advance(1);
    const err = await outcome;
    assert.ok(err instanceof ErrTimeout, `expected ErrTimeout, got ${String(err)}`);
    assert.equal(err.status, 504);
    assert.match(err.message, /"slow".*1000 ms/);

    release.resolve('too late'); // the answer arrives for a forgotten id
    assert.equal(await proxy.request(url, 'fast', 'next'), 'next');
    assert.ok(clientEnv.logLines.some((l) => l.msg === 'late or unknown response dropped'));
  } finally {
    await proxy.close();
    await target.close();
  }
});

test('the default timeout applies when the request names none', async () => {
  const serverEnv = fakeTimeRealNetEnv('t1');
  const clientEnv = fakeTimeRealNetEnv('p1');
  const target = createMsgEndpoint(serverEnv, { nodeId: 't1' });
  const proxy = createMsgEndpoint(clientEnv, { nodeId: 'p1' });
  try {
    const reached = deferred();
    target.handle('never', async () => {
      reached.resolve();
      return new Promise(() => {});
    });
    const url = `ws://127.0.0.1:${await target.listen('127.0.0.1', 0)}`;
    const outcome = proxy.request(url, 'never', null).then(() => 'resolved', (e: unknown) => e);
    await reached.promise;
    await clientEnv.advance(REQUEST_TIMEOUT_MS_DEFAULT - 1);
    assert.equal(await Promise.race([outcome, Promise.resolve('pending')]), 'pending');
    await clientEnv.advance(1);
    assert.ok((await outcome) instanceof ErrTimeout);
  } finally {
    await proxy.close();
    await target.close();
  }
});

test('a peer that accepts TCP but never completes the handshake fails the request by its timeout', async () => {
  const clientEnv = fakeTimeRealNetEnv('p1');
  const proxy = createMsgEndpoint(clientEnv, { nodeId: 'p1', connectTimeoutMs: 60_000 });
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => sockets.add(s)); // reads nothing, answers nothing
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  const accepted = deferred();
  silent.once('connection', () => accepted.resolve());
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const outcome = proxy.request(`ws://127.0.0.1:${port}`, 'x', null, { timeoutMs: 500 }).then(() => 'resolved', (e: unknown) => e);
    await accepted.promise;
    await clientEnv.advance(500);
    assert.ok((await outcome) instanceof ErrTimeout);
  } finally {
    await proxy.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});
