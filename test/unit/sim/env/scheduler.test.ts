import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler, SimClock, SimTimers, SIM_EPOCH_MS } from '../../../../sim/env/scheduler.ts';
import { Trace } from '../../../../sim/trace.ts';

function drain(s: Scheduler): void {
  while (s.step()) {
    // run to idle
  }
}

test('events run in time order, ties in insertion order', () => {
  const s = new Scheduler();
  const seen: string[] = [];
  s.at(5, 'n', 'k', () => seen.push('t5a'));
  s.at(1, 'n', 'k', () => seen.push('t1'));
  s.at(5, 'n', 'k', () => seen.push('t5b'));
  s.at(3, 'n', 'k', () => seen.push('t3'));
  s.at(5, 'n', 'k', () => seen.push('t5c'));
  drain(s);
  assert.deepEqual(seen, ['t1', 't3', 't5a', 't5b', 't5c']);
  assert.equal(s.nowMs, 5);
});

test('an event scheduled in the past runs now, after what is already due now', () => {
  const s = new Scheduler();
  const seen: string[] = [];
  s.at(10, 'n', 'k', () => {
    s.at(2, 'n', 'k', () => seen.push('late'));
    seen.push('ten');
  });
  s.at(10, 'n', 'k', () => seen.push('ten-b'));
  drain(s);
  assert.deepEqual(seen, ['ten', 'ten-b', 'late']);
  assert.equal(s.nowMs, 10);
});

test('timers: clearTimeout cancels, intervals repeat until cleared, sleep resolves at its time', async () => {
  const s = new Scheduler();
  const t = new SimTimers(s, 'n1');
  const seen: string[] = [];
  const h = t.setTimeout(() => seen.push('cancelled'), 5);
  t.setTimeout(() => seen.push(`once@${s.nowMs}`), 7);
  t.clearTimeout(h);
  const iv = t.setInterval(() => {
    seen.push(`iv@${s.nowMs}`);
    if (s.nowMs >= 30) t.clearInterval(iv);
  }, 10);
  let slept = -1;
  void t.sleep(12).then(() => (slept = s.nowMs));
  while (s.step()) await Promise.resolve(); // let the sleep's continuation run at its own time
  assert.deepEqual(seen, ['once@7', 'iv@10', 'iv@20', 'iv@30']);
  assert.equal(slept, 12);
  assert.equal(s.pending, 0);
});

test('clock: monotonic is virtual time, realtime adds the epoch and the drift', () => {
  const s = new Scheduler();
  const c = new SimClock(s);
  c.driftMs = -250;
  s.at(1234.5, 'n', 'k', () => {});
  drain(s);
  assert.equal(c.monotonicMs(), 1234.5);
  assert.equal(c.realtimeMs(), SIM_EPOCH_MS - 250 + 1234.5);
  assert.equal(c.realtimeNs(), BigInt(Math.round((SIM_EPOCH_MS - 250 + 1234.5) * 1e6)));
});

test('the trace hash depends on every event (time, node, kind)', () => {
  const run = (node: string): string => {
    const tr = new Trace();
    const s = new Scheduler(tr);
    s.at(1, 'a', 'timer', () => {});
    s.at(2, node, 'msg', () => {}, 10);
    drain(s);
    return tr.digest();
  };
  assert.equal(run('b'), run('b'));
  assert.notEqual(run('b'), run('c'));
});

test('kill() cancels every pending timer of a crashed incarnation and ignores later ones', () => {
  const s = new Scheduler();
  const t = new SimTimers(s, 'n1');
  let fired = 0;
  t.setTimeout(() => fired++, 10);
  t.setInterval(() => fired++, 5);
  t.kill();
  t.setTimeout(() => fired++, 1);
  drain(s);
  assert.equal(fired, 0);
  assert.equal(s.pending, 0);
});
