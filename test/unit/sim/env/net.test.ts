import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { Scheduler } from '../../../../sim/env/scheduler.ts';
import { SimRandom } from '../../../../sim/env/random.ts';
import { SimNetwork } from '../../../../sim/env/net.ts';
import type { MsgSocket } from '../../../../runtime/env/types.ts';

const OPTS = { requestTimeoutMs: 0, keepAliveTimeoutMs: 0, maxHeaderSize: 1024 };

function world(): { s: Scheduler; net: SimNetwork } {
  const s = new Scheduler();
  return { s, net: new SimNetwork({ sched: s, random: new SimRandom(3) }) };
}

async function runAll(s: Scheduler): Promise<void> {
  await new Promise((r) => setImmediate(r));
  while (s.step()) await new Promise((r) => setImmediate(r));
}

async function text(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('HTTP: the handler sees method, path, query, lower-case headers and the body; unknown address is refused', async () => {
  const { s, net } = world();
  let seen = '';
  await net.forNode('srv').serveHttp('127.0.0.1', 9000, async (req) => {
    seen = `${req.method} ${req.rawPath} ${req.query.get('x')} ${String(req.headers['x-h'])} ${await text(req.body)} from ${req.remoteAddr}`;
    return { status: 201, headers: { 'X-Out': 'o' }, body: 'answer' };
  }, OPTS);
  const client = net.forNode('cli');
  const p = client.request({ method: 'put', url: 'http://127.0.0.1:9000/v1/a%2Fb?x=1', headers: { 'X-H': 'h' }, body: Buffer.from('payload') });
  const refused = client.request({ method: 'GET', url: 'http://127.0.0.1:9001/' });
  refused.catch(() => {});
  await runAll(s);
  const res = await p;
  assert.equal(res.status, 201);
  assert.equal(res.headers['x-out'], 'o');
  assert.equal(await text(res.body), 'answer');
  assert.equal(seen, 'PUT /v1/a%2Fb 1 h payload from cli');
  await assert.rejects(refused, { code: 'ECONNREFUSED' });
  assert.ok(s.nowMs > 0, 'the exchange took virtual time');
});

test('MsgSocket: frames arrive in order, as copies; close reaches both ends after the data', async () => {
  const { s, net } = world();
  const got: string[] = [];
  let server: MsgSocket | undefined;
  await net.forNode('b').listenMsg('127.0.0.1', 7000, (sock) => {
    server = sock;
    sock.onMessage((f) => got.push(Buffer.from(f).toString()));
    sock.onClose((why) => got.push(`server closed: ${why}`));
  });
  const c = net.forNode('a').connectMsg('http://127.0.0.1:7000');
  const events: string[] = [];
  c.onOpen(() => {
    const frame = Buffer.from('f0');
    for (let i = 0; i < 20; i++) {
      frame.write(`f${i % 10}`);
      c.send(frame); // reused buffer: the network must have copied it
    }
    c.close();
  });
  c.onClose((why) => events.push(`client closed: ${why}`));
  await runAll(s);
  assert.ok(server);
  assert.deepEqual(got.slice(0, 20), Array.from({ length: 20 }, (_, i) => `f${i % 10}`));
  assert.equal(got[20], 'server closed: 1000 closed');
  assert.deepEqual(events, ['client closed: closed (1000)']);
  assert.equal(c.isOpen, false);
});

test('MsgSocket: a connect to nothing closes with ECONNREFUSED; a partition resets live connections', async () => {
  const { s, net } = world();
  const why: string[] = [];
  net.forNode('a').connectMsg('http://127.0.0.1:7001').onClose((r) => why.push(r));
  await net.forNode('b').listenMsg('127.0.0.1', 7000, () => {});
  const c = net.forNode('a').connectMsg('http://127.0.0.1:7000');
  c.onClose((r) => why.push(r));
  await runAll(s);
  assert.equal(c.isOpen, true);
  net.partition(['a'], ['b']);
  await runAll(s);
  assert.equal(c.isOpen, false);
  assert.ok(why[0]!.includes('ECONNREFUSED'), why[0]);
  assert.ok(why[1]!.includes('partition'), why[1]);
});

test('crash: the node\'s handler is gone, its unanswered exchanges fail with ECONNRESET', async () => {
  const { s, net } = world();
  const a = net.forNode('a');
  await a.serveHttp('127.0.0.1', 1, () => new Promise(() => {}), OPTS); // never answers
  const pending = net.request('client', { method: 'GET', url: 'http://127.0.0.1:1/x' });
  const outcome = pending.then(() => 'answered', (e: { code?: string }) => e.code);
  while (net.httpRequests === 0 && s.step()) {
    // deliver the request
  }
  net.crash('a');
  assert.equal(net.incarnationOf('a'), 1);
  while (s.step()) {
    // run to idle
  }
  assert.equal(await outcome, 'ECONNRESET');
  const after = net.request('client', { method: 'GET', url: 'http://127.0.0.1:1/x' }).then(() => 'answered', (e: { code?: string }) => e.code);
  while (s.step()) {
    // run to idle
  }
  assert.equal(await after, 'ECONNREFUSED');
});
