import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InspectBus, Supervisor, rootContext } from '../../../runtime/actor/index.ts';
import { fakeEnv } from '../../support/fake-env.ts';
import { scriptedSpec } from '../../support/test-child.ts';

const OPTS = {
  strategy: 'rest-for-one',
  intensity: { restartsMax: 10, windowMs: 60_000 },
  backoff: { initialMs: 100, maxMs: 1_000 },
} as const;

test('rest-for-one: later siblings are stopped last-first, then all restart in start order', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const events: string[] = [];
  const specs = ['a', 'b', 'c', 'd'].map((id) => scriptedSpec(id, 'permanent', events));
  for (const spec of specs) await sup.startChild(spec);
  const [a, b, , d] = specs as [typeof specs[0], typeof specs[0], typeof specs[0], typeof specs[0]];
  events.length = 0;

  b.current.crash();
  await env.advance(0);
  assert.deepEqual(events, ['stop d', 'stop c']);
  assert.deepEqual(sup.children().map((i) => i.status), ['running', 'restarting', 'restarting', 'restarting']);
  await env.advance(100);
  assert.deepEqual(events, ['stop d', 'stop c', 'start b', 'start c', 'start d']);
  assert.deepEqual(specs.map((s) => s.instances.length), [1, 2, 2, 2]);
  assert.deepEqual(sup.children().map((i) => i.status), ['running', 'running', 'running', 'running']);
  assert.equal(a.instances.length, 1);

  // The last child has no later siblings: only it restarts.
  events.length = 0;
  d.current.crash();
  await env.advance(100);
  assert.deepEqual(events, ['start d']);
  await sup.stop();
});

test('rest-for-one: temporary siblings are stopped and dropped, not restarted', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const events: string[] = [];
  const a = scriptedSpec('a', 'permanent', events);
  const tmp = scriptedSpec('tmp', 'temporary', events);
  const tr = scriptedSpec('tr', 'transient', events);
  for (const spec of [a, tmp, tr]) await sup.startChild(spec);
  events.length = 0;
  a.current.crash();
  await env.advance(100);
  assert.deepEqual(events, ['stop tr', 'stop tmp', 'start a', 'start tr']);
  assert.deepEqual(sup.children().map((i) => i.id), ['a', 'tr']);
  await sup.stop();
});

test('rest-for-one: a later sibling waiting out its own back-off joins the group restart', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), { ...OPTS, backoff: { initialMs: 100, maxMs: 10_000 } });
  const events: string[] = [];
  const a = scriptedSpec('a', 'permanent', events);
  const b = scriptedSpec('b', 'permanent', events);
  await sup.startChild(a);
  await sup.startChild(b);
  events.length = 0;
  b.current.crash();
  await env.advance(50); // b still waiting
  a.current.crash();
  await env.advance(100); // a's restart brings b along; b's own timer was cancelled
  assert.deepEqual(events, ['start a', 'start b']);
  await env.advance(10_000);
  assert.deepEqual(events, ['start a', 'start b']);
  assert.equal(b.instances.length, 2);
  await sup.stop();
});
