import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { setTimeout as realDelay } from 'node:timers/promises';
import { fromPromise, setup } from 'xstate';
import { ErrMailboxFull, ErrNotReady } from '../../../protocol/errors.ts';
import { InspectBus, MachineActor, Supervisor, rootContext, type ActorContext, type Published } from '../../../runtime/actor/index.ts';
import { fakeEnv, type FakeEnv } from '../../support/fake-env.ts';

const jobMachine = setup({
  types: {} as { events: { type: 'job.start' } | { type: 'job.finish' } | { type: 'job.crash' } },
  actions: {
    crash: () => {
      throw new Error('action blew up');
    },
  },
  delays: { quiesce: 1_000 },
}).createMachine({
  id: 'job',
  initial: 'pending',
  states: {
    pending: { on: { 'job.start': 'running' } },
    running: {
      on: { 'job.finish': 'finishing', 'job.crash': { actions: 'crash' } },
    },
    finishing: { after: { quiesce: 'finished' } },
    finished: { type: 'final' },
  },
});

let uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => void uncaught.push(err);
beforeEach(() => {
  uncaught = [];
  process.on('uncaughtException', onUncaught);
});
afterEach(() => void process.off('uncaughtException', onUncaught));

function context(env: FakeEnv, bus = new InspectBus()): ActorContext {
  return { env, path: 'n1/root/job', log: env.log.child({ actor: 'n1/root/job' }), bus };
}

test('final state: exited resolves undefined, transitions on the bus, delays through env.timers', async () => {
  const env = fakeEnv();
  const bus = new InspectBus();
  const seen: Published<'actor.transition'>[] = [];
  bus.subscribe('actor.transition', (e) => seen.push(e));
  const actor = new MachineActor({ ctx: context(env, bus), machine: jobMachine });
  actor.send({ type: 'job.start' });
  actor.send({ type: 'job.finish' });
  await actor.idle();
  assert.equal(actor.getSnapshot().value, 'finishing');
  assert.deepEqual(env.timers.requestedMs, [1_000]);
  await env.advance(999);
  assert.equal(actor.getSnapshot().value, 'finishing');
  await env.advance(1);
  assert.equal(await actor.exited, undefined);
  assert.deepEqual(
    seen.map((e) => [e.event, e.value, e.status]),
    [
      ['xstate.init', 'pending', 'active'],
      ['job.start', 'running', 'active'],
      ['job.finish', 'finishing', 'active'],
      ['xstate.after.quiesce.job.finishing', 'finished', 'done'],
    ],
  );
  assert.ok(seen.every((e) => e.path === 'n1/root/job' && e.machineId === 'job'));
  assert.throws(() => actor.send({ type: 'job.start' }), ErrNotReady);
});

test('a throwing action: exited resolves with the error and the process survives', async () => {
  const env = fakeEnv();
  const actor = new MachineActor({ ctx: context(env), machine: jobMachine });
  actor.send({ type: 'job.start' });
  actor.send({ type: 'job.crash' });
  const err = await actor.exited;
  assert.ok(err instanceof Error);
  assert.match(err.message, /action blew up/);
  assert.equal(actor.getSnapshot().status, 'error');
  await realDelay(5); // xstate re-throws unobserved errors on a real setTimeout(0)
  assert.deepEqual(uncaught, []);
  assert.ok(env.logLines.some((l) => l.level === 'error' && l.bindings.actor === 'n1/root/job'));
});

test('an invoked promise rejecting with no onError: exited resolves with its error', async () => {
  const env = fakeEnv();
  const working = setup({
    actors: { work: fromPromise<void>(async () => Promise.reject(new Error('promise rejected'))) },
  }).createMachine({
    id: 'worker',
    initial: 'working',
    // no onError on purpose
    states: { working: { invoke: { src: 'work', onDone: 'finished' } }, finished: { type: 'final' } },
  });
  const worker = new MachineActor({ ctx: context(env), machine: working });
  const err = await worker.exited;
  assert.ok(err instanceof Error);
  assert.equal(err.message, 'promise rejected');
  await realDelay(5);
  assert.deepEqual(uncaught, []);
});

test('stop(): exited resolves undefined and later sends are refused', async () => {
  const env = fakeEnv();
  const actor = new MachineActor({ ctx: context(env), machine: jobMachine });
  await actor.stop('test');
  assert.equal(await actor.exited, undefined);
  assert.equal(actor.getSnapshot().status, 'stopped');
  assert.throws(() => actor.send({ type: 'job.start' }), ErrNotReady);
});

test('the mailbox bound applies to send()', async () => {
  const env = fakeEnv();
  const actor = new MachineActor({ ctx: context(env), machine: jobMachine, mailboxLengthMax: 2 });
  actor.send({ type: 'job.start' });
  actor.send({ type: 'job.finish' });
  assert.throws(() => actor.send({ type: 'job.finish' }), ErrMailboxFull);
  await actor.idle();
  assert.equal(actor.getSnapshot().value, 'finishing');
  await actor.stop();
});

test('a throwing snapshot subscriber is logged, not fatal', async () => {
  const env = fakeEnv();
  const actor = new MachineActor({ ctx: context(env), machine: jobMachine });
  actor.subscribe(() => {
    throw new Error('bad subscriber');
  });
  actor.send({ type: 'job.start' });
  await actor.idle();
  await realDelay(5);
  assert.deepEqual(uncaught, []);
  assert.ok(env.logLines.some((l) => l.msg === 'snapshot subscriber threw'));
  await actor.stop();
});

test('under a supervisor: a failing machine is restarted with a fresh state', async () => {
  const env = fakeEnv();
  const bus = new InspectBus();
  const sup = new Supervisor(rootContext(env, 't1', bus), {
    strategy: 'one-for-one',
    intensity: { restartsMax: 3, windowMs: 10_000 },
    backoff: { initialMs: 50, maxMs: 50 },
  });
  const actors: MachineActor<typeof jobMachine>[] = [];
  await sup.startChild({
    id: 'job',
    restart: 'permanent',
    start: async (ctx) => {
      const actor = new MachineActor({ ctx, machine: jobMachine });
      actors.push(actor);
      return actor;
    },
  });
  actors[0]?.send({ type: 'job.start' });
  actors[0]?.send({ type: 'job.crash' });
  await env.advance(50);
  assert.equal(actors.length, 2);
  assert.equal(actors[1]?.getSnapshot().value, 'pending');
  assert.deepEqual(
    bus.history('t1/root/job').map((e) => e.channel + (e.channel === 'actor.transition' ? `:${e.event}` : '')),
    ['actor.transition:xstate.init', 'actor.started', 'actor.transition:job.start', 'actor.exited', 'actor.transition:xstate.init', 'actor.started'],
  );
  await sup.stop();
  assert.equal(actors[1]?.getSnapshot().status, 'stopped');
});
