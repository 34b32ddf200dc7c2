// GetBatch (x-moss) in the simulator: the checker's tar reader, regression seeds with GetBatch during
// planned membership changes (join, maintenance, shutdown, decommission: strict checks) and during
// target crashes (heavy faults), and that the checker does fail on wrong bytes or a lost item.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import tarStream from 'tar-stream';
import { replayCommand, runSeed, SIM_BUCKET, type SimRunOptions } from '../../../sim/run.ts';
import { SimCluster } from '../../../sim/cluster.ts';
import { InvariantChecker, SimInvariantError } from '../../../sim/invariants.ts';
import { Workload } from '../../../sim/workload.ts';
import { GB_BUCKET, GetBatchTracker, readTar } from '../../../sim/get-batch.ts';

async function tarOf(entries: { name: string; data: Buffer }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ name: e.name, size: e.data.length }, e.data, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

test('readTar: names (long ones too), bytes, zero-size entries, a cut archive', async () => {
  const long = `b/${'x'.repeat(150)}/obj`;
  const entries = [
    { name: 'simbck/a/obj-001', data: Buffer.from('hello') },
    { name: '__404__/simbck/gone', data: Buffer.alloc(0) },
    { name: long, data: Buffer.alloc(1500, 7) },
  ];
  const whole = await tarOf(entries);
  const r = readTar(whole);
  assert.equal(r.complete, true);
  assert.deepEqual(r.entries.map((e) => e.name), entries.map((e) => e.name));
  r.entries.forEach((e, i) => assert.ok(e.data.equals(entries[i]!.data), `entry ${i} bytes`));
  // cut inside the last entry: the first two only, not complete
  const cut = readTar(whole.subarray(0, whole.length - 1024 - 1000));
  assert.equal(cut.complete, false);
  assert.deepEqual(cut.entries.map((e) => e.name), entries.slice(0, 2).map((e) => e.name));
  // a corrupted header is an error, not a silently different entry
  const bad = Buffer.from(whole);
  bad[10] = bad[10]! ^ 0xff;
  assert.throws(() => readTar(bad), /checksum/);
});

/** Seeds whose GetBatch requests overlap planned membership changes (no faults: every check strict). */
const MEMBERSHIP_SEEDS = [1, 7, 8, 11, 20];

test(`get-batch during planned membership changes: seeds ${MEMBERSHIP_SEEDS.join(', ')} pass with strict checks`, async () => {
  const opts: SimRunOptions = { steps: 300, faults: 'none', getBatch: true };
  let during = 0;
  for (const seed of MEMBERSHIP_SEEDS) {
    const r = await runSeed(seed, opts);
    assert.ok(r.ok, `seed ${seed}: ${r.error?.message}\nreplay: ${replayCommand(seed, opts)}`);
    const g = r.getBatch!;
    assert.ok(g.requests > 0 && g.itemsChecked > 0, `seed ${seed}: GetBatch ran and items were checked`);
    assert.ok(g.finalItems > 0, `seed ${seed}: the final batch read every acknowledged name back`);
    assert.equal(g.missingRelaxed, 0, `seed ${seed}: no relaxation without faults`);
    during += g.duringMembership;
  }
  assert.ok(during > 0, 'some requests ran while a membership change (and its rebalance) ran');
});

/** Heavy faults (crashes, isolations, disk errors) with membership changes; seed 41 is M4-F3 (spool leak, moss-findings.md), not here. */
const HEAVY_SEEDS = [1, 3, 4, 5, 6];

test(`get-batch under heavy faults: seeds ${HEAVY_SEEDS.join(', ')} pass (clean refusals only, never wrong bytes or order)`, async () => {
  const opts: SimRunOptions = { steps: 300, faults: 'heavy', getBatch: true };
  let crashed = 0;
  for (const seed of HEAVY_SEEDS) {
    const r = await runSeed(seed, opts);
    assert.ok(r.ok, `seed ${seed}: ${r.error?.message}\nreplay: ${replayCommand(seed, opts)}`);
    assert.ok((r.getBatch?.requests ?? 0) > 0, `seed ${seed}: GetBatch ran`);
    crashed += r.getBatch!.duringOutage;
  }
  assert.ok(crashed > 0, 'some requests ran while a target was crashed');
});

test('get-batch: same seed twice gives the same trace and stats', async () => {
  const opts: SimRunOptions = { steps: 200, faults: 'heavy', getBatch: true };
  const a = await runSeed(4, opts);
  const b = await runSeed(4, opts);
  assert.ok(a.ok && b.ok, `${a.error?.message ?? ''} ${b.error?.message ?? ''}`);
  assert.equal(a.traceHash, b.traceHash);
  assert.deepEqual(a.getBatch, b.getBatch);
});

async function trackerOn(seed: number): Promise<{ c: SimCluster; gb: GetBatchTracker }> {
  const c = await SimCluster.fromSeed(seed, {});
  assert.equal((await c.drive(c.client.createBucket(SIM_BUCKET))).status, 200);
  const inv = new InvariantChecker(c);
  const w = new Workload(c, inv, SIM_BUCKET);
  const gb = new GetBatchTracker(c, inv, w);
  await gb.setup();
  return { c, gb };
}

test('the checker fails on bytes that no PUT left', async () => {
  const { c, gb } = await trackerOn(3);
  try {
    const [name, p] = [...gb.fixed][0]!;
    p.values = [Buffer.from('not what was put')];
    p.mayBeAbsent = false;
    await assert.rejects(gb.request([{ bucket: GB_BUCKET, name }], { coer: false, strm: true, onob: false }, false), (e: unknown) => e instanceof SimInvariantError && /match no acknowledged/.test(e.message));
  } finally {
    await c.stop();
  }
});

test('the checker fails when an acknowledged object comes back as __404__ (coer) or 404', async () => {
  const { c, gb } = await trackerOn(5);
  try {
    // the checker believes a never-put name is certainly present
    gb.fixed.set('never/put', { values: [Buffer.from('x')], mayBeAbsent: false });
    await assert.rejects(gb.request([{ bucket: GB_BUCKET, name: 'never/put' }], { coer: true, strm: false, onob: false }, false), (e: unknown) => e instanceof SimInvariantError && /acknowledged present but came back as "__404__/.test(e.message));
    await assert.rejects(gb.request([{ bucket: GB_BUCKET, name: 'never/put' }], { coer: false, strm: false, onob: false }, false), (e: unknown) => e instanceof SimInvariantError && /404 though every item is acknowledged present/.test(e.message));
  } finally {
    await c.stop();
  }
});
