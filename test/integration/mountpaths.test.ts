// Mountpaths and resilver on real processes: attach / detach / disable / enable through the proxy's
// `/v1/reverse/daemon/mountpaths` (+ `Ais-Node-Id`), resilver waited for through the jobs API,
// every object read back with its checksum after each step, files checked on disk; bad input with
// exact status and message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { assertAisError, http, putObjects, waitFor, type HttpResult } from '../support/cluster-helpers.ts';
import { createBucket, getObj, mountpathsOf, startObjCluster, targets, type ObjCluster } from '../support/obj-helpers.ts';
import type { Snap } from '../../protocol/xact.ts';

const BCK = 'mpaths';
const NAMES = Array.from({ length: 300 }, (_, i) => `dir${i % 10}/obj-${String(i).padStart(4, '0')}`);
const RESILVER_WAIT_MS = 60_000;

let c: ObjCluster;
let tid: string;
let mp1: string;
let mp2: string;
let mp3: string;
const cksums = new Map<string, string>();

before(async () => {
  c = await startObjCluster({ targets: 1, mountpathsPerTarget: 2 });
  const t = targets(c.cluster)[0]!;
  tid = t.id;
  [mp1, mp2] = (await mountpathsOf(t)).sort() as [string, string];
  mp3 = join(t.dir, 'mp-extra');
  await mkdir(mp3, { recursive: true });
  await createBucket(c.proxyUrl, BCK);
  await putObjects(c.proxyUrl, BCK, NAMES);
  for (const n of NAMES) {
    const { res } = await getObj(c.proxyUrl, BCK, n);
    cksums.set(n, res.headers.get('ais-checksum-value') ?? '');
  }
});

after(async () => {
  await c?.close();
});

/** `node` null: no `Ais-Node-Id` header. */
function mpathReq(method: string, action: string, value: unknown, query = '', node: string | null = tid): Promise<HttpResult> {
  const headers: Record<string, string> = node === null ? {} : { 'ais-node-id': node };
  return http(`${c.proxyUrl}/v1/reverse/daemon/mountpaths${query}`, { method, headers, body: { action, value } });
}

async function mountpaths(): Promise<{ available: string[]; waiting_dd: string[]; disabled: string[] }> {
  const r = await http(`${c.proxyUrl}/v1/reverse/daemon?what=mountpaths`, { headers: { 'ais-node-id': tid } });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text) as { available: string[]; waiting_dd: string[]; disabled: string[] };
}

async function resilverSnaps(): Promise<Snap[]> {
  const r = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { kind: 'resilver', node: tid } });
  assert.equal(r.status, 200, r.text);
  return (JSON.parse(r.text) as Record<string, Snap[]>)[tid] ?? [];
}

/** Waits until a resilver not in `seen` exists and no resilver runs; returns the new ones. */
async function waitResilver(seen: Set<string>): Promise<Snap[]> {
  return waitFor(
    'resilver ends',
    async () => {
      const snaps = await resilverSnaps();
      const fresh = snaps.filter((s) => !seen.has(s.id));
      const running = snaps.some((s) => s['end-time'].startsWith('0001-'));
      return fresh.length > 0 && !running ? fresh : undefined;
    },
    RESILVER_WAIT_MS,
  );
}

async function seenIds(): Promise<Set<string>> {
  return new Set((await resilverSnaps()).map((s) => s.id));
}

async function assertAllRead(): Promise<void> {
  for (const n of NAMES) {
    const { res, body } = await getObj(c.proxyUrl, BCK, n);
    assert.equal(res.status, 200, `GET ${n}: ${res.status} ${body.toString()}`);
    assert.equal(body.toString(), n, `content of ${n}`);
    assert.equal(res.headers.get('ais-checksum-value'), cksums.get(n), `checksum of ${n}`);
  }
}

/** Object files of the bucket under one mountpath (`<mpath>/@ais/<bck>/%ob/`). */
async function filesOn(mpath: string): Promise<number> {
  const dir = join(mpath, '@ais', BCK, '%ob');
  const ents = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return ents.filter((e) => e.isFile()).length;
}

test('show: the target answers its mountpaths through the proxy', async () => {
  assert.deepEqual(await mountpaths(), { available: [mp1, mp2], waiting_dd: [], disabled: [] });
  assert.equal((await filesOn(mp1)) + (await filesOn(mp2)), NAMES.length);
});

test('attach: resilver moves objects to the new mountpath; all read back', async () => {
  const seen = await seenIds();
  const r = await mpathReq('PUT', 'attach-mp', mp3);
  assert.equal(r.status, 200, r.text);
  const [snap] = await waitResilver(seen);
  assert.equal(snap!.state, 'finished', JSON.stringify(snap));
  assert.equal(snap!.aborted, false);
  const moved = Number(snap!.stats['loc-objs']);
  assert.ok(moved > 0 && moved < NAMES.length, `moved ${moved}`);
  assert.deepEqual(await mountpaths(), { available: [mp1, mp2, mp3].sort(), waiting_dd: [], disabled: [] });
  assert.equal(await filesOn(mp3), moved, 'the moved objects are files on the new mountpath');
  assert.equal((await filesOn(mp1)) + (await filesOn(mp2)) + (await filesOn(mp3)), NAMES.length, 'no copy left behind');
  await assertAllRead();
});

test('detach: objects move off first, then the mountpath leaves', async () => {
  const seen = await seenIds();
  const r = await mpathReq('DELETE', 'detach-mp', mp1);
  assert.equal(r.status, 200, r.text);
  const [snap] = await waitResilver(seen);
  assert.equal(snap!.state, 'finished', JSON.stringify(snap));
  assert.deepEqual(await mountpaths(), { available: [mp2, mp3].sort(), waiting_dd: [], disabled: [] });
  assert.equal(await filesOn(mp1), 0);
  assert.equal((await filesOn(mp2)) + (await filesOn(mp3)), NAMES.length);
  await assertAllRead();
});

test('disable then enable', async () => {
  let seen = await seenIds();
  let r = await mpathReq('POST', 'disable-mp', mp3);
  assert.equal(r.status, 200, r.text);
  await waitResilver(seen);
  assert.deepEqual(await mountpaths(), { available: [mp2], waiting_dd: [], disabled: [mp3] });
  assert.equal(await filesOn(mp2), NAMES.length);
  await assertAllRead();
  r = await mpathReq('POST', 'disable-mp', mp3);
  assert.equal(r.status, 204, 'already disabled: nothing to do');

  seen = await seenIds();
  r = await mpathReq('POST', 'enable-mp', mp3);
  assert.equal(r.status, 200, r.text);
  await waitResilver(seen);
  assert.deepEqual(await mountpaths(), { available: [mp2, mp3].sort(), waiting_dd: [], disabled: [] });
  assert.ok((await filesOn(mp3)) > 0);
  await assertAllRead();
});

test('resilver through the jobs API: one target only; 501 without a target', async () => {
  const r = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { kind: 'resilver', DaemonID: tid } } });
  assert.equal(r.status, 200, r.text);
  const xid = r.text;
  const st = await waitFor('resilver status', async () => {
    const s = await http(`${c.proxyUrl}/v1/cluster?what=status`, { body: { id: xid } });
    assert.equal(s.status, 200, s.text);
    const v = JSON.parse(s.text) as { end_time: number; aborted: boolean; kind: string };
    return v.end_time > 0 ? v : undefined;
  }, RESILVER_WAIT_MS);
  assert.equal(st.kind, 'resilver');
  assert.equal(st.aborted, false);
  assertAisError(
    await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { kind: 'resilver' } } }),
    501, 'ErrNotImplemented', 'cannot run resilver on all targets in the cluster - operation not supported',
  );
  assertAisError(
    await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { kind: 'resilver', DaemonID: 'nosuch' } } }),
    400, 'ErrInvalidArgument', 'cannot resilver: node nosuch not present in Smap',
  );
  await assertAllRead();
});

test('bad input: exact status and message', async () => {
  const missing = join(mp3, '..', 'does-not-exist');
  assertAisError(await mpathReq('PUT', 'attach-mp', missing), 400, 'ErrInvalidArgument', `mountpath ${missing} does not exist`);
  assertAisError(await mpathReq('PUT', 'attach-mp', mp2), 400, 'ErrInvalidArgument', `duplicated mountpath ${mp2}: already attached`);
  assertAisError(await mpathReq('PUT', 'attach-mp', 'relative'), 400, 'ErrInvalidArgument', 'invalid mountpath [relative]; mountpath must be an absolute path');
  assertAisError(await mpathReq('PUT', 'attach-mp', ''), 400, 'ErrInvalidArgument', 'mountpath is not defined');
  assertAisError(await mpathReq('PUT', 'attach-mp', 42), 400, 'ErrInvalidArgument', 'invalid mountpath value in request');
  assertAisError(await mpathReq('PUT', 'make-mp', mp2), 400, 'ErrUnknownAction', 'invalid action "make-mp"');
  assertAisError(await mpathReq('POST', 'enable-mp', missing), 404, 'ErrNotFound', `mountpath ${missing} does not exist`);
  assertAisError(await mpathReq('DELETE', 'detach-mp', missing), 404, 'ErrNotFound', `mountpath ${missing} does not exist`);
  assertAisError(await mpathReq('PUT', 'attach-mp', mp2, '', 'nosuch'), 404, 'ErrNotFound', 'cannot forward request to node: node nosuch not present in Smap');
  assertAisError(await mpathReq('PUT', 'attach-mp', mp2, '', null), 400, 'ErrInvalidArgument', 'missing node ID');

  // Detach mp3 (its objects move off first), then the last one is refused.
  const before = (await mountpaths()).available;
  assert.deepEqual(before, [mp2, mp3].sort());
  const seen = await seenIds();
  let r = await mpathReq('DELETE', 'detach-mp', mp3);
  assert.equal(r.status, 200, r.text);
  await waitResilver(seen);
  assertAisError(await mpathReq('DELETE', 'detach-mp', mp2), 400, 'ErrInvalidArgument', `cannot detach ${mp2}: it is the last available mountpath of target ${tid}`);
  assertAisError(await mpathReq('POST', 'disable-mp', mp2, '?dntres=true'), 400, 'ErrInvalidArgument', 'it is the last available mountpath');
  assert.deepEqual(await mountpaths(), { available: [mp2], waiting_dd: [], disabled: [] });
  await assertAllRead();

  // Attach again without resilver: objects stay where they are and are still found.
  r = await mpathReq('PUT', 'attach-mp', mp3, '?dntres=true');
  assert.equal(r.status, 200, r.text);
  await assertAllRead();
});

test('PUT and GET keep working while mountpaths come and go', async () => {
  const LOAD_OPS_MAX = 400;
  const loadNames = Array.from({ length: 40 }, (_, i) => `load/obj-${i}`);
  let stop = false;
  let ops = 0;
  const failures: string[] = [];
  const load = (async () => {
    for (let i = 0; !stop && i < LOAD_OPS_MAX; i++) {
      const n = loadNames[i % loadNames.length]!;
      await putObjects(c.proxyUrl, BCK, [n], 1).catch((e: Error) => failures.push(`PUT ${n}: ${e.message}`));
      const { res, body } = await getObj(c.proxyUrl, BCK, n);
      if (res.status !== 200 || body.toString() !== n) failures.push(`GET ${n}: ${res.status} ${body.toString().slice(0, 200)}`);
      ops++;
    }
  })();
  try {
    const extra = join(mp3, '..', 'mp-load');
    await mkdir(extra, { recursive: true });
    let seen = await seenIds();
    let r = await mpathReq('PUT', 'attach-mp', extra);
    assert.equal(r.status, 200, r.text);
    await waitResilver(seen);
    seen = await seenIds();
    r = await mpathReq('DELETE', 'detach-mp', extra);
    assert.equal(r.status, 200, r.text);
    await waitResilver(seen);
    assert.equal(await filesOn(extra), 0);
  } finally {
    stop = true;
    await load;
  }
  assert.deepEqual(failures, []);
  assert.ok(ops > 0);
  for (const n of loadNames) {
    const { res, body } = await getObj(c.proxyUrl, BCK, n);
    if (res.status === 404) continue; // never written: the load stopped first
    assert.equal(res.status, 200);
    assert.equal(body.toString(), n);
  }
  await assertAllRead();
});

test('a restart keeps the attached and detached mountpaths (not the config\'s)', async () => {
  const before = await mountpaths();
  assert.ok(!before.available.includes(mp1), 'mp1 was detached');
  await c.cluster.kill(tid, 'SIGTERM');
  await c.cluster.restart(tid);
  const after = await waitFor('target back', async () => {
    const r = await http(`${c.proxyUrl}/v1/reverse/daemon?what=mountpaths`, { headers: { 'ais-node-id': tid } }).catch(() => undefined);
    return r?.status === 200 ? (JSON.parse(r.text) as typeof before) : undefined;
  }, RESILVER_WAIT_MS);
  assert.deepEqual(after, before);
  await waitFor('objects served again', async () => ((await getObj(c.proxyUrl, BCK, NAMES[0]!)).res.status === 200 ? true : undefined), RESILVER_WAIT_MS);
  await assertAllRead();
});
