import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActor, createMachine } from 'xstate';
import { InvariantError } from '../../../../../protocol/errors.ts';
import { realClock } from '../../../../../runtime/env/real/clock.ts';
import { realRandom } from '../../../../../runtime/env/real/random.ts';
import { realTimers } from '../../../../../runtime/env/real/timers.ts';

test('realTimers works as the xstate clock: delayed transitions fire, and are cancelled on exit', async () => {
  const timers = realTimers();
  const machine = createMachine({
    initial: 'waiting',
    states: {
      waiting: { after: { 5: 'done' }, on: { skip: 'other' } },
      other: { after: { 60_000: 'done' } }, // must be cleared by stop(), or the test would hang
      done: { type: 'final' },
    },
  });
  const actor = createActor(machine, { clock: timers });
  const done = new Promise<void>((resolve, reject) => actor.subscribe({ complete: resolve, error: reject }));
  actor.start();
  await done;
  assert.equal(actor.getSnapshot().value, 'done');

  const second = createActor(machine, { clock: timers });
  second.start();
  second.send({ type: 'skip' });
  second.stop(); // clears the 60 s timer through clock.clearTimeout
});

test('realTimers: clearTimeout cancels, sleep resolves', async () => {
  const timers = realTimers();
  let fired = false;
  const handle = timers.setTimeout(() => (fired = true), 1);
  timers.clearTimeout(handle);
  await timers.sleep(5);
  assert.equal(fired, false);
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const interval = timers.setInterval(() => {
      if (++ticks === 3) {
        timers.clearInterval(interval);
        resolve();
      }
    }, 1);
  });
  assert.equal(ticks, 3);
});

test('realClock: monotonic never goes back; realtimeNs is anchored to the epoch', () => {
  const clock = realClock();
  let last = clock.monotonicMs();
  for (let i = 0; i < 1_000; i++) {
    const now = clock.monotonicMs();
    assert.ok(now >= last);
    last = now;
  }
  const ns = clock.realtimeNs();
  const msFromNs = Number(ns / 1_000_000n);
  assert.ok(Math.abs(msFromNs - clock.realtimeMs()) < 1_000, 'same epoch, not a process-relative origin');
  assert.ok(clock.realtimeNs() >= ns);
});

test('realRandom: ranges and sizes', () => {
  const random = realRandom();
  for (let i = 0; i < 1_000; i++) {
    const f = random.float();
    assert.ok(f >= 0 && f < 1);
    const n = random.int(7);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 7);
  }
  assert.equal(random.bytes(16).length, 16);
  assert.ok(random.bytes(16) instanceof Uint8Array);
  assert.throws(() => random.int(0), InvariantError);
  assert.throws(() => random.int(2 ** 49), InvariantError);
});
