// The job registry with real MachineActors under a real Supervisor on the fake Env: a job finishes
// with its counters, a throwing work ends aborted (the supervisor survives), abort stops a running
// work through its signal, and snapshots are answered by id/kind/onlyRunning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectBus, Supervisor, rootContext } from '../../../../runtime/actor/index.ts';
import { JobRegistry } from '../../../../actors/xact/registry.ts';
import type { JobWork } from '../../../../actors/xact/machine.ts';
import { testFailWork } from '../../../../actors/test-fail/work.ts';
import { ZERO_COUNTERS, type Snap } from '../../../../protocol/xact.ts';
import { fakeEnv, flush } from '../../../support/fake-env.ts';

function setup() {
  const env = fakeEnv();
  const sup = new Supervisor(rootContext(env, 't[x]', new InspectBus()), {
    strategy: 'one-for-one',
    intensity: { restartsMax: 3, windowMs: 1_000 },
    backoff: { initialMs: 10, maxMs: 100 },
  });
  const jobs = new JobRegistry(env);
  jobs.attach(sup);
  return { env, sup, jobs };
}

test('a job finishes with its counters and its final snapshot is kept', async () => {
  const { sup, jobs } = setup();
  const finals: Snap[] = [];
  const work: JobWork = async ({ report }) => {
    report({ ...ZERO_COUNTERS, locObjs: 1 });
    return { counters: { ...ZERO_COUNTERS, locObjs: 2, locBytes: 20 } };
  };
  await jobs.start({ id: 'job1', kind: 'summary-bck', bck: { provider: 'ais', name: 'b' }, work, onFinal: (s) => finals.push(s) });
  for (let i = 0; i < 5 && finals.length === 0; i++) await flush();
  assert.equal(finals.length, 1);
  assert.equal(finals[0]!.state, 'finished');
  assert.equal(finals[0]!.stats['loc-objs'], '2');
  assert.equal(finals[0]!.stats['loc-bytes'], '20');
  assert.notEqual(finals[0]!['end-time'], '0001-01-01T00:00:00Z');
  assert.deepEqual(jobs.snaps({ id: 'job1' }).map((s) => s.state), ['finished']);
  assert.deepEqual(jobs.snaps({ onlyRunning: true }), []);
  await sup.stop();
});

test('a throwing work ends aborted with its error; the supervisor keeps running', async () => {
  const { sup, jobs } = setup();
  const finals: Snap[] = [];
  await jobs.start({ id: 'bad1', kind: 'test-fail', work: testFailWork(), onFinal: (s) => finals.push(s) });
  for (let i = 0; i < 5 && finals.length === 0; i++) await flush();
  assert.equal(finals[0]?.aborted, true);
  assert.match(finals[0]!['abort-err'], /threw on purpose/);
  // still able to run jobs
  await jobs.start({ id: 'ok2', kind: 'test-fail', work: async () => ({ counters: ZERO_COUNTERS }) });
  await flush();
  assert.equal(jobs.snaps({ id: 'ok2' })[0]?.state, 'finished');
  await sup.stop();
});

test('abort fires the work signal and ends the job aborted', async () => {
  const { sup, jobs } = setup();
  let sawAbort = false;
  const work: JobWork = ({ signal }) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => ((sawAbort = true), reject(new Error('aborted')))));
  await jobs.start({ id: 'long1', kind: 'summary-bck', work });
  await flush();
  assert.deepEqual(jobs.runningIds('summary-bck'), ['long1']);
  assert.equal(jobs.snaps({ onlyRunning: true })[0]?.state, 'running');
  assert.equal(jobs.abort('long1', 'stopped by user'), true);
  await flush();
  await flush();
  assert.equal(sawAbort, true);
  const [s] = jobs.snaps({ id: 'long1' });
  assert.equal(s?.state, 'aborted');
  assert.equal(s?.['abort-err'], 'stopped by user');
  assert.equal(jobs.abort('nope', 'x'), false);
  await assert.rejects(jobs.start({ id: 'long1', kind: 'summary-bck', work }), /already exists/);
  await sup.stop();
});
