import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeEnv, seededRandom } from '../../support/fake-env.ts';

test('fake timers run in (time, creation) order, intervals repeat, cleared ones never run', async () => {
  const env = fakeEnv();
  const ran: string[] = [];
  env.timers.setTimeout(() => ran.push(`b@${env.clock.monotonicMs()}`), 20);
  env.timers.setTimeout(() => ran.push(`a@${env.clock.monotonicMs()}`), 10);
  env.timers.setTimeout(() => ran.push(`a2@${env.clock.monotonicMs()}`), 10);
  const gone = env.timers.setTimeout(() => ran.push('gone'), 5);
  env.timers.clearTimeout(gone);
  const tick = env.timers.setInterval(() => ran.push(`i@${env.clock.monotonicMs()}`), 8);
  await env.advance(19);
  assert.deepEqual(ran, ['i@8', 'a@10', 'a2@10', 'i@16']);
  env.timers.clearInterval(tick);
  await env.advance(100);
  assert.deepEqual(ran.slice(4), ['b@20']);
  assert.equal(env.clock.monotonicMs(), 119);
  assert.equal(env.clock.realtimeMs() - env.clock.monotonicMs(), env.clock.realtimeStartMs);
});

test('sleep resolves only when time is advanced past it', async () => {
  const env = fakeEnv();
  let woke = false;
  void env.timers.sleep(50).then(() => (woke = true));
  await env.advance(49);
  assert.equal(woke, false);
  await env.advance(1);
  assert.equal(woke, true);
});

test('the seeded PRNG is deterministic per seed', () => {
  const draw = (seed: number) => {
    const r = seededRandom(seed);
    return [r.float(), r.int(1_000), ...r.bytes(4)];
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
});

test('disk and net throw when used', () => {
  const env = fakeEnv();
  assert.throws(() => env.disk.mkdir('/x'), /env\.disk\.mkdir: not available in fake env/);
  assert.throws(() => env.net.connectMsg('ws://127.0.0.1:1'), /not available in fake env/);
});
