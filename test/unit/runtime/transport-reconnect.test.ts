// Peer loss and return over real loopback sockets: in-flight requests fail with ErrPeerUnreachable,
// requests while the peer is down fail the same way, and once a listener is back on the same port
// later requests succeed over a new connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrRemote, ShoalError } from '../../../protocol/errors.ts';
import { createMsgEndpoint } from '../../../runtime/transport/endpoint.ts';
import type { MsgEndpoint } from '../../../runtime/transport/types.ts';
import { deferred, realNetEnv } from './transport-test-env.ts';

function startTarget(generation: number): MsgEndpoint {
  const target = createMsgEndpoint(realNetEnv('t1'), { nodeId: 't1' });
  target.handle('whoami', async () => generation);
  return target;
}

/** Retries `fn` while it fails with ErrPeerUnreachable (the caller's job, as the endpoint documents). */
async function untilReachable<T>(fn: () => Promise<T>, attemptsMax: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ShoalError) || err.tcode !== 'ErrPeerUnreachable' || attempt >= attemptsMax) throw err;
    }
  }
}

test('requests fail while the peer is gone and succeed again once it listens on the same port', async () => {
  const proxy = createMsgEndpoint(realNetEnv('p1'), { nodeId: 'p1', reconnectBackoffMsMin: 20, reconnectBackoffMsMax: 200 });
  let target = startTarget(1);
  const inFlight = deferred();
  target.handle('hang', async () => {
    inFlight.resolve();
    return new Promise(() => {});
  });
  try {
    const port = await target.listen('127.0.0.1', 0);
    const url = `ws://127.0.0.1:${port}`;
    assert.equal(await proxy.request(url, 'whoami', null), 1);

    // The peer goes away with a request in flight: that request fails, it does not hang.
    const hung = proxy.request(url, 'hang', null).then(() => undefined, (e: unknown) => e);
    await inFlight.promise;
    await target.close();
    const err = await hung;
    assert.ok(err instanceof ShoalError && !(err instanceof ErrRemote));
    assert.equal(err.tcode, 'ErrPeerUnreachable');
    assert.equal(err.status, 503);
    assert.match(err.message, /dropped.*"hang"/);

    // Nobody listens: a request fails with ErrPeerUnreachable (connection refused), not a timeout.
    await assert.rejects(proxy.request(url, 'whoami', null), { tcode: 'ErrPeerUnreachable', message: /cannot connect/ });

    // Back on the same port: the endpoint reconnects (after its back-off) and requests succeed.
    target = startTarget(2);
    assert.equal(await target.listen('127.0.0.1', port), port);
    assert.equal(await untilReachable(() => proxy.request(url, 'whoami', null), 10), 2);
    assert.equal(await proxy.request(url, 'whoami', null), 2);
  } finally {
    await proxy.close();
    await target.close();
  }
});

test('requests queued during the reconnect back-off are sent once the peer is back', async () => {
  const proxy = createMsgEndpoint(realNetEnv('p1'), { nodeId: 'p1', reconnectBackoffMsMin: 50, reconnectBackoffMsMax: 50 });
  let target = startTarget(1);
  try {
    const port = await target.listen('127.0.0.1', 0);
    const url = `ws://127.0.0.1:${port}`;
    assert.equal(await proxy.request(url, 'whoami', null), 1);
    const dropped = target.close();
    target = startTarget(2);
    await dropped;
    assert.equal(await target.listen('127.0.0.1', port), port);
    // Issued right after the drop, these may wait for the back-off; none is lost or answered twice.
    const results = await Promise.all(
      Array.from({ length: 20 }, () => untilReachable(() => proxy.request(url, 'whoami', null), 10)),
    );
    assert.deepEqual(results, Array(20).fill(2));
  } finally {
    await proxy.close();
    await target.close();
  }
});
