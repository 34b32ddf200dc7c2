// Inspection pieces that need no browser: the machine graph drawn by the UI, and the event batcher's bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMachine } from 'xstate';
import { jobMachine } from '../../../../actors/xact/machine.ts';
import { machineGraph, shortEvent } from '../../../../nodes/common/inspect-graph.ts';
import { EventBatcher } from '../../../../nodes/common/inspect-batcher.ts';
import type { TimerHandle, Timers } from '../../../../runtime/env/types.ts';

test('the job machine graph has every lifecycle state and its transitions', () => {
  const g = machineGraph(jobMachine);
  assert.equal(g.id, 'job');
  assert.equal(g.initial, 'pending');
  assert.deepEqual(g.states.map((s) => s.name), ['pending', 'running', 'paused', 'finishing', 'finished', 'aborted']);
  assert.deepEqual(g.states.filter((s) => s.type === 'final').map((s) => s.name), ['finished', 'aborted']);
  const edge = (from: string, to: string) => g.edges.find((e) => e.from === from && e.to === to);
  assert.deepEqual(edge('pending', 'running')?.events, ['start']);
  assert.deepEqual(edge('running', 'paused')?.events, ['pause']);
  assert.deepEqual(edge('paused', 'running')?.events, ['resume']);
  assert.deepEqual(edge('finishing', 'finished')?.events, ['done']);
  assert.deepEqual(edge('running', 'aborted')?.events.sort(), ['abort', 'error']);
  // progress only runs actions: no edge, and no edge leaves a final state
  assert.equal(edge('running', 'running'), undefined);
  assert.equal(g.edges.some((e) => e.from === 'finished' || e.from === 'aborted'), false);
});

test('nested states and always transitions are walked', () => {
  const m = createMachine({
    id: 'm',
    initial: 'a',
    states: {
      a: { initial: 'x', states: { x: { on: { GO: 'y' } }, y: {} }, always: { target: 'b', guard: () => false } },
      b: { type: 'final' },
    },
  });
  const g = machineGraph(m);
  assert.deepEqual(g.states.map((s) => s.name), ['a', 'a.x', 'a.y', 'b']);
  assert.deepEqual(g.edges, [{ from: 'a', to: 'b', events: ['always'] }, { from: 'a.x', to: 'a.y', events: ['GO'] }]);
  assert.equal(shortEvent('xstate.done.actor.0.job.finishing'), 'done');
  assert.equal(shortEvent('job.abort'), 'abort');
});

/** Timers that fire only when told to (flushes happen exactly when the test says). */
function manualTimers(): Timers & { fire(): void; armed(): number } {
  const pending = new Map<object, () => void>();
  return {
    setTimeout: (fn) => {
      const h = {};
      pending.set(h, fn);
      return h as TimerHandle;
    },
    clearTimeout: (h) => void pending.delete(h as object),
    setInterval: () => ({}) as TimerHandle,
    clearInterval: () => {},
    sleep: async () => {},
    fire() {
      const fns = [...pending.values()];
      pending.clear();
      for (const fn of fns) fn();
    },
    armed: () => pending.size,
  };
}

test('the batcher flushes on its timer, bounded per batch, dropping the oldest past its queue bound', () => {
  const timers = manualTimers();
  const out: { items: number[]; dropped: number }[] = [];
  const b = new EventBatcher<number>({ timers, flush: (items, dropped) => out.push({ items, dropped }), queueLengthMax: 10, batchLengthMax: 4 });
  b.push(1);
  b.push(2);
  assert.equal(timers.armed(), 1, 'one timer for many pushes');
  assert.equal(out.length, 0, 'nothing before the timer');
  timers.fire();
  assert.deepEqual(out, [{ items: [1, 2], dropped: 0 }]);
  assert.equal(timers.armed(), 0, 'idle: no timer');

  for (let i = 0; i < 15; i++) b.push(100 + i);
  assert.equal(b.length, 10);
  timers.fire();
  assert.deepEqual(out[1], { items: [105, 106, 107, 108], dropped: 5 });
  timers.fire();
  timers.fire();
  assert.deepEqual(out.slice(2), [{ items: [109, 110, 111, 112], dropped: 0 }, { items: [113, 114], dropped: 0 }]);
  assert.equal(timers.armed(), 0);

  b.push(7);
  b.close();
  assert.equal(timers.armed(), 0, 'close cancels the timer');
  b.push(8);
  timers.fire();
  assert.equal(out.length, 4, 'nothing after close');
});
