// Resilver as a job: a newer mountpath event preempts the running resilver (which keeps pending
// detaches for the next one to finish); a resilver stopped by the user puts waiting mountpaths back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InspectBus, Supervisor, rootContext } from '../../../../runtime/actor/index.ts';
import { JobRegistry } from '../../../../actors/xact/registry.ts';
import { Hrw } from '../../../../nodes/cluster/hrw.ts';
import { Storage } from '../../../../nodes/target/storage/storage.ts';
import { TargetResilver } from '../../../../nodes/target/resilver.ts';
import { BCK, PUT_DEFAULTS, readGot, testEnv } from './storage-fixture.ts';

const OBJS = 600;
const WAIT_POLLS_MAX = 3_000;

async function setup(nMpaths: number) {
  const root = await mkdtemp(join(tmpdir(), 'shoal-resjob-'));
  const mps = Array.from({ length: nMpaths }, (_, i) => join(root, `mp${i}`));
  const env = testEnv();
  const storage = await Storage.open(env, { mountpaths: mps, hrw: await Hrw.create() });
  const sup = new Supervisor(rootContext(env, 't[x]', new InspectBus()), {
    strategy: 'one-for-one',
    intensity: { restartsMax: 3, windowMs: 1_000 },
    backoff: { initialMs: 10, maxMs: 100 },
  });
  const jobs = new JobRegistry(env);
  jobs.attach(sup);
  const res = new TargetResilver(env, jobs, storage);
  for (let i = 0; i < OBJS; i++) await storage.putBytes(BCK, `o-${i}`, Buffer.from(`obj ${i}`), PUT_DEFAULTS);
  return {
    root, mps, storage, jobs, res,
    async idle(): Promise<void> {
      for (let i = 0; i < WAIT_POLLS_MAX && res.isActive(); i++) await sleep(5);
      assert.equal(res.isActive(), false, 'resilver still running');
      await sleep(20); // the aborted work's cleanup runs after its job ended
    },
    async allRead(): Promise<void> {
      for (let i = 0; i < OBJS; i++) assert.equal((await readGot(await storage.get(BCK, `o-${i}`))).toString(), `obj ${i}`);
    },
    async close(): Promise<void> {
      await sup.stop();
      await storage.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

test('a newer event preempts the running resilver; pending detaches finish with the new one', async () => {
  const fx = await setup(4);
  try {
    const [a, b] = [fx.mps[0]!, fx.mps[1]!];
    const mpA = await fx.storage.mpaths.beginDD(a, 'detach');
    assert.equal(typeof mpA, 'object');
    const first = await fx.res.trigger(`detach-mp ${a}`);
    const mpB = await fx.storage.mpaths.beginDD(b, 'detach');
    assert.equal(typeof mpB, 'object');
    const second = await fx.res.trigger(`detach-mp ${b}`);
    await fx.idle();
    const s1 = fx.jobs.snaps({ id: first })[0]!;
    const s2 = fx.jobs.snaps({ id: second })[0]!;
    assert.equal(s1.state, 'aborted');
    assert.match(s1['abort-err'], new RegExp(`preempted by resilver\\[${second}\\]`));
    assert.equal(s2.state, 'finished', s2['abort-err']);
    assert.deepEqual(fx.storage.mpaths.list(), { available: [fx.mps[2]!, fx.mps[3]!].sort(), waiting_dd: [], disabled: [] });
    await fx.allRead();
  } finally {
    await fx.close();
  }
});

test('a resilver stopped by the user puts the waiting mountpath back to available', async () => {
  const fx = await setup(2);
  try {
    const a = fx.mps[0]!;
    await fx.storage.mpaths.beginDD(a, 'disable');
    const id = await fx.res.trigger(`disable-mp ${a}`);
    assert.equal(fx.jobs.abort(id, 'stopped by user'), true);
    await fx.idle();
    assert.equal(fx.jobs.snaps({ id })[0]!.state, 'aborted');
    assert.deepEqual(fx.storage.mpaths.list(), { available: [...fx.mps].sort(), waiting_dd: [], disabled: [] });
    await fx.allRead();
  } finally {
    await fx.close();
  }
});

test('attach then resilver as a job: counters in the snapshot', async () => {
  const fx = await setup(2);
  try {
    const extra = join(fx.root, 'mp-new');
    await mkdir(extra);
    await fx.storage.mpaths.attach(extra);
    const id = await fx.res.trigger(`attach-mp ${extra}`);
    await fx.idle();
    const s = fx.jobs.snaps({ id })[0]!;
    assert.equal(s.state, 'finished');
    assert.ok(Number(s.stats['loc-objs']) > 0, JSON.stringify(s.stats));
    assert.ok(Number(s.stats['loc-bytes']) >= Number(s.stats['loc-objs']) * 5);
    await fx.allRead();
  } finally {
    await fx.close();
  }
});
