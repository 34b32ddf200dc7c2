import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InspectBus, Supervisor, rootContext } from '../../../runtime/actor/index.ts';
import { fakeEnv } from '../../support/fake-env.ts';
import { scriptedSpec } from '../../support/test-child.ts';

const OPTS = {
  strategy: 'one-for-one',
  intensity: { restartsMax: 100, windowMs: 5_000 },
  backoff: { initialMs: 100, maxMs: 1_000 },
} as const;

test('restart delays double from initialMs up to maxMs, all through env.timers', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const a = scriptedSpec('a', 'permanent', []);
  await sup.startChild(a);
  for (let i = 0; i < 6; i++) {
    a.current.crash();
    await env.timers.runNext();
  }
  assert.deepEqual(env.timers.requestedMs, [100, 200, 400, 800, 1_000, 1_000]);
  assert.equal(a.instances.length, 7);
  await sup.stop();
});

test('no restart before the delay is over', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const a = scriptedSpec('a', 'permanent', []);
  await sup.startChild(a);
  a.current.crash();
  await env.advance(99);
  assert.equal(a.instances.length, 1);
  await env.advance(1);
  assert.equal(a.instances.length, 2);
  await sup.stop();
});

test('the back-off resets once a child stayed up longer than the window', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const a = scriptedSpec('a', 'permanent', []);
  await sup.startChild(a);
  for (let i = 0; i < 3; i++) {
    a.current.crash();
    await env.timers.runNext();
  }
  await env.advance(5_001); // up longer than windowMs
  a.current.crash();
  await env.timers.runNext();
  a.current.crash(); // crashed right away again: doubling resumes from initialMs
  await env.timers.runNext();
  assert.deepEqual(env.timers.requestedMs, [100, 200, 400, 100, 200]);
  await sup.stop();
});

test('back-off is per child', async () => {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't1', new InspectBus()), OPTS);
  const a = scriptedSpec('a', 'permanent', []);
  const b = scriptedSpec('b', 'permanent', []);
  await sup.startChild(a);
  await sup.startChild(b);
  a.current.crash();
  await env.timers.runNext();
  a.current.crash();
  await env.timers.runNext();
  b.current.crash();
  await env.timers.runNext();
  assert.deepEqual(env.timers.requestedMs, [100, 200, 100]);
  await sup.stop();
});
