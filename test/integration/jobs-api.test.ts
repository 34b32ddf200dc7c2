// Jobs (xactions) through the AIS API: bucket jobs (summary-bck, delete-listrange), the generic
// start/stop/status/qryxstats/running_all, bad input (unknown kind 400, unknown id 404), and a job
// whose work throws ends `aborted` with its error while every node stays up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAisError, http, putObjects, waitFor } from '../support/cluster-helpers.ts';
import { createBucket, startObjCluster, targets, type ObjCluster } from '../support/obj-helpers.ts';

const BCK = 'jobs';
const NAMES = Array.from({ length: 30 }, (_, i) => `shard-${String(i).padStart(3, '0')}.tar`);

interface Status {
  kind: string;
  uuid: string;
  err: string;
  end_time: number;
  aborted: boolean;
}

let c: ObjCluster;

before(async () => {
  c = await startObjCluster({ targets: 3, testJobs: true });
  await createBucket(c.proxyUrl, BCK);
  await putObjects(c.proxyUrl, BCK, NAMES);
});

after(async () => {
  await c?.close();
});

async function statusOf(id: string): Promise<Status> {
  const r = await http(`${c.proxyUrl}/v1/cluster?what=status`, { body: { id } });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text) as Status;
}

async function waitDone(id: string): Promise<Status> {
  return waitFor(`job ${id} ends`, async () => {
    const s = await statusOf(id);
    return s.end_time > 0 ? s : undefined;
  });
}

async function listNames(): Promise<string[]> {
  const r = await http(`${c.proxyUrl}/v1/buckets/${BCK}`, { body: { action: 'list', value: { props: 'name' } } });
  assert.equal(r.status, 200, r.text);
  return ((JSON.parse(r.text) as { entries: { name: string }[] }).entries ?? []).map((e) => e.name);
}

test('summary-bck: 202 + xid, then 200 with the summed count and size', async () => {
  const start = await http(`${c.proxyUrl}/v1/buckets/${BCK}`, { body: { action: 'summary-bck', value: { uuid: '' } } });
  assert.equal(start.status, 202, start.text);
  const xid = start.text;
  assert.equal(xid.length, 9);
  const res = await waitFor('summary result', async () => {
    const r = await http(`${c.proxyUrl}/v1/buckets/${BCK}`, { body: { action: 'summary-bck', value: { uuid: xid } } });
    assert.ok(r.status === 200 || r.status === 202, r.text);
    return r.status === 200 ? r : undefined;
  });
  const [summ] = JSON.parse(res.text) as { name: string; ObjCount: { obj_count_present: string }; TotalSize: { size_all_present_objs: string } }[];
  assert.equal(summ!.name, BCK);
  assert.equal(summ!.ObjCount.obj_count_present, String(NAMES.length));
  assert.ok(Number(summ!.TotalSize.size_all_present_objs) > 0);
  // one snap per target, with its share of the objects
  const q = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { id: xid } });
  assert.equal(q.status, 200, q.text);
  const multi = JSON.parse(q.text) as Record<string, { id: string; kind: string; stats: { 'loc-objs': string } }[]>;
  assert.deepEqual(Object.keys(multi).sort(), targets(c.cluster).map((t) => t.id).sort());
  let total = 0;
  for (const snaps of Object.values(multi)) {
    assert.equal(snaps.length, 1);
    assert.equal(snaps[0]!.kind, 'summary-bck');
    total += Number(snaps[0]!.stats['loc-objs']);
  }
  assert.equal(total, NAMES.length);
});

test('delete-listrange by list and by template: objects are gone, counts add up', async () => {
  const byList = await http(`${c.proxyUrl}/v1/buckets/${BCK}`, { method: 'DELETE', body: { action: 'delete-listrange', value: { objnames: ['shard-000.tar', 'shard-001.tar'] } } });
  assert.equal(byList.status, 200, byList.text);
  const s1 = await waitDone(byList.text);
  assert.equal(s1.aborted, false);
  const byTemplate = await http(`${c.proxyUrl}/v1/buckets/${BCK}`, { method: 'DELETE', body: { action: 'delete-listrange', value: { template: 'shard-{010..019}.tar' } } });
  assert.equal(byTemplate.status, 200, byTemplate.text);
  const s2 = await waitDone(byTemplate.text);
  assert.equal(s2.kind, 'delete-listrange');
  const left = await listNames();
  assert.equal(left.length, NAMES.length - 12);
  assert.ok(!left.includes('shard-000.tar') && !left.includes('shard-015.tar') && left.includes('shard-020.tar'));
  const q = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { id: byTemplate.text } });
  const multi = JSON.parse(q.text) as Record<string, { stats: { 'loc-objs': string } }[]>;
  assert.equal(Object.values(multi).reduce((n, s) => n + Number(s[0]!.stats['loc-objs']), 0), 10);
});

test('evict-listrange on an ais bucket → 400', async () => {
  const r = await http(`${c.proxyUrl}/v1/buckets/${BCK}`, { method: 'DELETE', body: { action: 'evict-listrange', value: { objnames: ['shard-020.tar'] } } });
  assertAisError(r, 400, 'ErrInvalidArgument', 'not a remote bucket');
});

test('unknown job kind → 400', async () => {
  const r = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { kind: 'no-such-kind' } } });
  assertAisError(r, 400, 'ErrInvalidArgument', 'unknown xaction kind');
  const notStartable = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { Kind: 'delete-listrange' } } });
  assertAisError(notStartable, 400, 'ErrInvalidArgument', 'not startable');
});

test('stop and status of an unknown id → 404', async () => {
  const stop = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'stop', value: { ID: 'nosuchjob' } } });
  assertAisError(stop, 404, 'ErrNotFound', 'nosuchjob');
  const status = await http(`${c.proxyUrl}/v1/cluster?what=status`, { body: { id: 'nosuchjob' } });
  assertAisError(status, 404, 'ErrNotFound', 'nosuchjob');
});

test('a job whose work throws ends aborted with its error; every node stays up', async () => {
  // keys in any case, as AIS (Go JSON)
  const r = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { KIND: 'test-fail' } } });
  assert.equal(r.status, 200, r.text);
  const s = await waitDone(r.text);
  assert.equal(s.aborted, true);
  assert.match(s.err, /threw on purpose/);
  const q = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { id: r.text } });
  for (const snaps of Object.values(JSON.parse(q.text) as Record<string, { aborted: boolean; 'abort-err': string }[]>)) {
    assert.equal(snaps[0]!.aborted, true);
    assert.match(snaps[0]!['abort-err'], /threw on purpose/);
  }
  for (const node of c.cluster.nodes) {
    assert.equal(node.process.exitCode, null, `${node.id} exited`);
    const h = await http(`${node.publicUrl}/v1/health`);
    assert.equal(h.status, 200);
  }
  const all = await http(`${c.proxyUrl}/v1/cluster?what=status_all`, { body: { kind: 'test-fail' } });
  assert.ok((JSON.parse(all.text) as Status[]).some((x) => x.uuid === r.text));
  const running = await http(`${c.proxyUrl}/v1/cluster?what=running_all`);
  assert.equal(running.status, 200, running.text);
  assert.ok(Array.isArray(JSON.parse(running.text)));
});

test('stop by ID aborts a running job on every target; stop by Kind stops all of that kind', async () => {
  const start = async () => {
    const r = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { Kind: 'test-sleep' } } });
    assert.equal(r.status, 200, r.text);
    return r.text;
  };
  const id = await start();
  // it runs on every target until stopped
  const running = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { id } });
  const perTarget = JSON.parse(running.text) as Record<string, { aborted: boolean; 'end-time': string }[]>;
  assert.equal(Object.keys(perTarget).length, targets(c.cluster).length);
  assert.equal((await statusOf(id)).end_time, 0, 'still running before the stop');

  const stop = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'stop', value: { ID: id } } });
  assert.equal(stop.status, 200, stop.text);
  const s = await waitDone(id);
  assert.equal(s.aborted, true);
  const after = JSON.parse((await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { id } })).text) as typeof perTarget;
  for (const [tid, snaps] of Object.entries(after)) assert.equal(snaps[0]!.aborted, true, `${tid} not aborted`);

  const [a, b] = [await start(), await start()];
  const byKind = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'stop', value: { kind: 'test-sleep' } } });
  assert.equal(byKind.status, 200, byKind.text);
  assert.equal((await waitDone(a)).aborted, true);
  assert.equal((await waitDone(b)).aborted, true);
});
