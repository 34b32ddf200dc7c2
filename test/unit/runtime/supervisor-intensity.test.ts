import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import { InspectBus, Supervisor, rootContext, type ActorContext } from '../../../runtime/actor/index.ts';
import { fakeEnv } from '../../support/fake-env.ts';
import { scriptedSpec } from '../../support/test-child.ts';

const OPTS = {
  strategy: 'one-for-one',
  intensity: { restartsMax: 2, windowMs: 10_000 },
  backoff: { initialMs: 10, maxMs: 10 },
} as const;

test('more than restartsMax restarts in the window: children stopped, supervisor exits with an error', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const events: string[] = [];
  const a = scriptedSpec('a', 'permanent', events);
  const b = scriptedSpec('b', 'permanent', events);
  const c = scriptedSpec('c', 'permanent', events);
  for (const spec of [a, b, c]) await sup.startChild(spec);
  events.length = 0;

  b.current.crash();
  await env.advance(10);
  b.current.crash();
  await env.advance(10);
  assert.deepEqual(events, ['start b', 'start b']);
  b.current.crash(); // third restart within 10 s: gives up
  const err = await sup.exited;
  assert.ok(err instanceof Error);
  assert.match(err.message, /gave up: more than 2 restarts in 10000 ms/);
  assert.match(err.message, /"b"/);
  assert.deepEqual(events, ['start b', 'start b', 'stop c', 'stop a']);
  assert.deepEqual(sup.children(), []);
  await env.advance(1_000);
  assert.equal(b.instances.length, 3, 'no restart after giving up');
  await sup.stop(); // harmless after exit
});

test('restarts spread wider than the window never trip the intensity', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const a = scriptedSpec('a', 'permanent', []);
  await sup.startChild(a);
  for (let i = 0; i < 10; i++) {
    a.current.crash();
    await env.advance(6_000);
  }
  assert.equal(a.instances.length, 11);
  assert.equal(sup.children()[0]?.restarts, 10);
  await sup.stop();
  assert.equal(await sup.exited, undefined);
});

test('trees nest: a supervisor that gives up is restarted by its parent, with its children', async () => {
  const env = fakeEnv();
  const root = new Supervisor(rootContext(env, 't1', new InspectBus()), { ...OPTS, intensity: { restartsMax: 5, windowMs: 10_000 } });
  const events: string[] = [];
  const leaf = scriptedSpec('leaf', 'permanent', events);
  const inners: Supervisor[] = [];
  await root.startChild({
    id: 'jobs',
    restart: 'permanent',
    start: async (ctx: ActorContext) => {
      const inner = new Supervisor(ctx, { ...OPTS, intensity: { restartsMax: 0, windowMs: 10_000 } });
      await inner.startChild(leaf);
      inners.push(inner);
      return inner;
    },
  });
  assert.deepEqual(root.children()[0]?.children?.map((i) => i.path), ['t1/root/jobs/leaf']);
  leaf.current.crash(); // restartsMax 0: the inner supervisor gives up at once
  assert.match((await inners[0]?.exited)?.message ?? '', /gave up/);
  await env.advance(10);
  assert.equal(inners.length, 2);
  assert.equal(leaf.instances.length, 2);
  assert.deepEqual(root.children().map((i) => [i.id, i.status, i.restarts]), [['jobs', 'running', 1]]);
  await root.stop();
  assert.deepEqual(events.slice(-1), ['stop leaf']);
});

test('bad options are rejected in the constructor', () => {
  const ctx = rootContext(fakeEnv(), 't1', new InspectBus());
  assert.throws(() => new Supervisor(ctx, { ...OPTS, intensity: { restartsMax: -1, windowMs: 1 } }), ErrInvalidArgument);
  assert.throws(() => new Supervisor(ctx, { ...OPTS, backoff: { initialMs: 10, maxMs: 1 } }), ErrInvalidArgument);
});
