import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimCluster } from '../../../sim/cluster.ts';
import { runSeed } from '../../../sim/run.ts';

test('a 1+3 cluster forms on the simulated Env; PUT/GET/list/DELETE go through the real handlers', async () => {
  const c = await SimCluster.fromSeed(11, { proxies: 1, targets: 3, mountpaths: 2 });
  try {
    const smap = await c.drive(c.client.smap());
    assert.equal(Object.keys(smap.pmap).length, 1);
    assert.equal(Object.keys(smap.tmap).length, 3);
    assert.equal((await c.drive(c.client.createBucket('b'))).status, 200);
    const bytes = Buffer.from('simulated bytes');
    const put = await c.drive(c.client.put('b', 'dir/obj', bytes));
    assert.equal(put.status, 200, put.text());
    const get = await c.drive(c.client.get('b', 'dir/obj'));
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, bytes);
    assert.deepEqual((await c.drive(c.client.list('b'))).map((e) => e.name), ['dir/obj']);
    // the object landed on exactly one target's simulated disk
    const holders = c.specs.filter((s) => s.role === 'target' && c.world.disk(s.id).filePaths().some((p) => p.endsWith('/dir/obj')));
    assert.equal(holders.length, 1);
    assert.equal((await c.drive(c.client.delete('b', 'dir/obj'))).status, 200);
    assert.equal((await c.drive(c.client.get('b', 'dir/obj'))).status, 404);
  } finally {
    await c.stop();
  }
});

test('determinism: one seed twice gives one trace hash, another seed another', async () => {
  const opts = { steps: 100 };
  const a = await runSeed(5, opts);
  const b = await runSeed(5, opts);
  const other = await runSeed(6, opts);
  for (const r of [a, b, other]) assert.ok(r.ok, `seed ${r.seed}: ${r.error?.message}`);
  assert.equal(a.traceHash, b.traceHash);
  assert.equal(a.events, b.events);
  assert.equal(a.virtualMs, b.virtualMs);
  assert.notEqual(a.traceHash, other.traceHash);
});

test('addTarget: a new target joins a running cluster and takes new objects', async () => {
  const c = await SimCluster.fromSeed(12, { proxies: 1, targets: 2, mountpaths: 2 });
  try {
    assert.equal((await c.drive(c.client.createBucket('b'))).status, 200);
    const id = await c.addTarget();
    assert.equal(id, 't8083');
    await c.waitFormed();
    const smap = await c.drive(c.client.smap());
    assert.deepEqual(Object.keys(smap.tmap).sort(), ['t8081', 't8082', 't8083']);
    for (let i = 0; i < 24; i++) assert.equal((await c.drive(c.client.put('b', `o${i}`, Buffer.from(`v${i}`)))).status, 200);
    // HRW spreads 24 names over the three targets: the new one holds some
    assert.ok(c.world.disk(id).filePaths().some((p) => p.includes('/@ais/b/%ob/')), 'the new target stores objects');
    for (let i = 0; i < 24; i++) assert.equal((await c.drive(c.client.get('b', `o${i}`))).text(), `v${i}`);
  } finally {
    await c.stop();
  }
});
