// The job lifecycle, pure: transition() without running anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialTransition, transition } from 'xstate';
import { jobMachine } from '../../../../actors/xact/machine.ts';
import { ZERO_COUNTERS } from '../../../../protocol/xact.ts';

const input = { id: 'abc123xyz', kind: 'summary-bck', work: async () => ({ counters: ZERO_COUNTERS }) };

test('pending → running ⇄ paused; progress recorded; abort from any non-final state', () => {
  const [pending] = initialTransition(jobMachine, input);
  assert.equal(pending.value, 'pending');
  const [aborted0] = transition(jobMachine, pending, { type: 'job.abort', reason: 'user' });
  assert.equal(aborted0.value, 'aborted');
  assert.equal(aborted0.context.abortErr, 'user');

  const [running] = transition(jobMachine, pending, { type: 'job.start' });
  assert.equal(running.value, 'running');
  const counters = { ...ZERO_COUNTERS, locObjs: 3, locBytes: 30 };
  const [progressed] = transition(jobMachine, running, { type: 'job.progress', counters });
  assert.deepEqual(progressed.context.counters, counters);
  const [paused] = transition(jobMachine, progressed, { type: 'job.pause' });
  assert.equal(paused.value, 'paused');
  const [resumed] = transition(jobMachine, paused, { type: 'job.resume' });
  assert.equal(resumed.value, 'running');
  const [aborted] = transition(jobMachine, paused, { type: 'job.abort', reason: 'stopped by user' });
  assert.equal(aborted.value, 'aborted');
  assert.equal(aborted.status, 'done');
  assert.deepEqual(aborted.context.counters, counters);
});

test('work done → finishing; work error → aborted with the error', () => {
  const [pending] = initialTransition(jobMachine, input);
  const [running] = transition(jobMachine, pending, { type: 'job.start' });
  const out = { counters: { ...ZERO_COUNTERS, locObjs: 7 }, err: 'x missing' };
  const [finishing] = transition(jobMachine, running, { type: 'xstate.done.actor.work', output: out } as never);
  assert.equal(finishing.value, 'finishing');
  assert.equal(finishing.context.counters.locObjs, 7);
  assert.equal(finishing.context.err, 'x missing');
  const [failed] = transition(jobMachine, running, { type: 'xstate.error.actor.work', error: new Error('disk on fire') } as never);
  assert.equal(failed.value, 'aborted');
  assert.equal(failed.context.abortErr, 'disk on fire');
});
