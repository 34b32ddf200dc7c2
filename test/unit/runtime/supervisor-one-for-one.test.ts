import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrConflict } from '../../../protocol/errors.ts';
import { InspectBus, Supervisor, rootContext, type Published } from '../../../runtime/actor/index.ts';
import { fakeEnv } from '../../support/fake-env.ts';
import { scriptedSpec } from '../../support/test-child.ts';

const OPTS = {
  strategy: 'one-for-one',
  intensity: { restartsMax: 10, windowMs: 60_000 },
  backoff: { initialMs: 100, maxMs: 1_000 },
} as const;

async function setupTree() {
  const env = fakeEnv();
  const bus = new InspectBus();
  const sup = new Supervisor(rootContext(env, 't1', bus), OPTS);
  const events: string[] = [];
  const a = scriptedSpec('a', 'permanent', events);
  const b = scriptedSpec('b', 'permanent', events);
  const c = scriptedSpec('c', 'permanent', events);
  for (const spec of [a, b, c]) await sup.startChild(spec);
  events.length = 0;
  return { env, bus, sup, events, a, b, c };
}

test('a crashed permanent child is restarted alone, after the back-off', async () => {
  const { env, bus, sup, events, a, b, c } = await setupTree();
  const exits: Published<'actor.exited'>[] = [];
  bus.subscribe('actor.exited', (e) => exits.push(e));
  b.current.crash();
  await env.advance(0);
  assert.deepEqual(sup.children().map((i) => i.status), ['running', 'restarting', 'running']);
  assert.deepEqual(events, []);
  await env.advance(100);
  assert.deepEqual(events, ['start b']);
  assert.equal(a.instances.length, 1);
  assert.equal(b.instances.length, 2);
  assert.equal(c.instances.length, 1);
  const info = sup.children();
  assert.deepEqual(info.map((i) => [i.id, i.path, i.status, i.restarts]), [
    ['a', 't1/root/a', 'running', 0],
    ['b', 't1/root/b', 'running', 1],
    ['c', 't1/root/c', 'running', 0],
  ]);
  assert.match(info[1]?.lastError ?? '', /crashed/);
  assert.equal(exits.length, 1);
  assert.equal(exits[0]?.path, 't1/root/b');
  assert.equal(exits[0]?.error?.tcode, 'ErrInternal');
  assert.deepEqual(bus.history('t1/root/b').map((e) => [e.channel, 'restarts' in e ? e.restarts : -1]), [
    ['actor.started', 0],
    ['actor.exited', 0],
    ['actor.started', 1],
  ]);
  await sup.stop();
});

test('transient: restarted after an error, not after a normal exit; temporary: never restarted', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const events: string[] = [];
  const tr = scriptedSpec('tr', 'transient', events);
  const tmp = scriptedSpec('tmp', 'temporary', events);
  await sup.startChild(tr);
  await sup.startChild(tmp);
  tr.current.crash();
  tmp.current.crash();
  await env.advance(1_000);
  assert.equal(tr.instances.length, 2);
  assert.equal(tmp.instances.length, 1);
  assert.deepEqual(sup.children().map((i) => i.id), ['tr']);
  tr.current.end();
  await env.advance(1_000);
  assert.equal(tr.instances.length, 2);
  assert.deepEqual(sup.children(), []);
  // The id is free again once the child is gone.
  await sup.startChild(scriptedSpec('tr', 'transient', events));
  await assert.rejects(sup.startChild(scriptedSpec('tr', 'transient', events)), ErrConflict);
  await sup.stop();
  assert.equal(await sup.exited, undefined);
});

test('a failed restart counts as a crash and is retried', async () => {
  const { env, sup, b } = await setupTree();
  b.failStarts(1);
  b.current.crash();
  await env.advance(100); // first restart fails
  assert.equal(b.instances.length, 1);
  assert.equal(sup.children()[1]?.status, 'restarting');
  await env.advance(200); // doubled back-off, then it comes up
  assert.equal(b.instances.length, 2);
  assert.equal(sup.children()[1]?.restarts, 2);
  await sup.stop();
});

test('startChild rejects when the first start fails, and supervises nothing', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const spec = scriptedSpec('x', 'permanent', []);
  spec.failStarts(1);
  await assert.rejects(sup.startChild(spec), /x failed to start/);
  assert.deepEqual(sup.children(), []);
  await sup.stop();
});

test('stop() stops the children in reverse start order and exits normally', async () => {
  const { sup, events } = await setupTree();
  await sup.stop();
  assert.deepEqual(events, ['stop c', 'stop b', 'stop a']);
  assert.equal(await sup.exited, undefined);
  assert.deepEqual(sup.children(), []);
});

test('child loggers carry the child path', async () => {
  const env = fakeEnv({ nodeId: 't1' });
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  await sup.startChild({
    id: 'metasync',
    restart: 'temporary',
    start: async (ctx) => {
      ctx.log.info('hello');
      return scriptedSpec('metasync', 'temporary', []).start(ctx);
    },
  });
  const line = env.logLines.find((l) => l.msg === 'hello');
  assert.deepEqual(line?.bindings, { node: 't1', actor: 't1/root/metasync' });
  await sup.stop();
});
