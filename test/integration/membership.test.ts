// Membership through the AIS API on real processes (issue 5 items 1 and 7): bad input with exact
// status, tcode and message (1 proxy + 1 target); then on 1 proxy + 3 targets: a maintenance round
// trip (start-maintenance rebalances every object off the target, the Smap flags it, stop-maintenance
// brings it back) and join-by-admin of a standby target; each step waits for its rebalance and checks
// that every object reads back with its bytes and is held only by its owner.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent } from 'undici';
import { SnodeFlag } from '../../protocol/smap.ts';
import { assertAisError, http, type HttpResult } from '../support/cluster-helpers.ts';
import { createBucket, startObjCluster, targets, type ObjCluster } from '../support/obj-helpers.ts';
import { describeSnaps, Expected, forEachLimit, getSmap, headOn, md5, newAgent, objRequest, putMany, waitRebSettled, xactStatus } from '../support/reb-helpers.ts';

const BCK = 'members';
const OBJS_COUNT = 300;
const SIZE_MIN = 512;
const SIZE_MAX = 8 * 1024;
const CONCURRENCY = 16;
const REB_WAIT_MS = 60_000;

function memberAct(proxyUrl: string, action: string, value: unknown): Promise<HttpResult> {
  return http(`${proxyUrl}/v1/cluster`, { method: 'PUT', body: { action, value } });
}

/** AIS error body of a `PUT /v1/cluster` call: status, tcode, message, and where it came from. */
function assertClusterError(r: HttpResult, status: number, tcode: string, message: string | RegExp, method = 'PUT', path = '/v1/cluster'): void {
  const e = assertAisError(r, status, tcode, message);
  assert.equal(e.method, method);
  assert.equal(e.url_path, path);
}

describe('membership: bad input (1 proxy + 1 target)', () => {
  let c: ObjCluster;
  let pid: string;
  let tid: string;

  before(async () => {
    c = await startObjCluster({ targets: 1 });
    pid = c.cluster.nodes.find((n) => n.role === 'proxy')!.id;
    tid = targets(c.cluster)[0]!.id;
  });
  after(async () => {
    await c?.close();
  });

  test('decommission or start-maintenance of the last target: 400, nothing changes', async () => {
    const v0 = (await getSmap(c.proxyUrl)).version;
    for (const action of ['decommission-node', 'start-maintenance', 'shutdown-node']) {
      const r = await memberAct(c.proxyUrl, action, { sid: tid });
      assertClusterError(r, 400, 'ErrInvalidArgument', `cannot ${action} t[${tid}]: it is the last target (no target would be left to hold the objects)`);
    }
    const smap = await getSmap(c.proxyUrl);
    assert.equal(smap.version, v0, 'the Smap did not change');
    assert.equal(smap.tmap[tid]!.flags & SnodeFlag.maint, 0);
  });

  test('decommission / start-maintenance of the primary proxy: 400 (no successor)', async () => {
    for (const action of ['decommission-node', 'start-maintenance', 'shutdown-node']) {
      const r = await memberAct(c.proxyUrl, action, { sid: pid });
      assertClusterError(r, 400, 'ErrInvalidArgument', `p[${pid}] is the primary proxy: cannot ${action} it without a successor (no other proxy is primary-eligible)`);
    }
  });

  test('unknown node id: 404', async () => {
    for (const action of ['decommission-node', 'start-maintenance', 'stop-maintenance', 'shutdown-node']) {
      const r = await memberAct(c.proxyUrl, action, { sid: 'tnosuch' });
      assertClusterError(r, 404, 'ErrNotFound', /^node "tnosuch" does not exist \(not present in the cluster map v\d+\)$/);
    }
  });

  test('stop-maintenance of a node that is not in maintenance: 400', async () => {
    const r = await memberAct(c.proxyUrl, 'stop-maintenance', { sid: tid });
    assertClusterError(r, 400, 'ErrInvalidArgument', `t[${tid}] is not in maintenance mode`);
  });

  test('missing or malformed node id and options: 400', async () => {
    for (const value of [{}, { sid: '' }, { skip_rebalance: true }, undefined]) {
      const r = await memberAct(c.proxyUrl, 'start-maintenance', value);
      assertClusterError(r, 400, 'ErrInvalidArgument', value === undefined ? 'expected value {"sid": "<node id>", ...}' : 'missing node id ("sid")');
    }
    let r = await memberAct(c.proxyUrl, 'decommission-node', 'tnosuch');
    assertClusterError(r, 400, 'ErrInvalidArgument', 'expected value {"sid": "<node id>", ...}');
    r = await memberAct(c.proxyUrl, 'decommission-node', { sid: tid, skip_rebalance: 'yes' });
    assertClusterError(r, 400, 'ErrInvalidArgument', '"skip_rebalance" must be a boolean');
    r = await memberAct(c.proxyUrl, 'start-maintenance', { sid: tid, rm_user_data: true });
    assertClusterError(r, 400, 'ErrInvalidArgument', '"rm_user_data" applies to decommission only');
  });

  test('join-by-admin with a bad or unreachable URL: 400', async () => {
    const path = '/v1/cluster/join-by-admin';
    const join = (body: unknown) => http(`${c.proxyUrl}${path}`, { method: 'POST', body });
    for (const body of [{}, { public_net: {} }, { public_net: { direct_url: 'not-a-url' } }, { public_net: { direct_url: 'ftp://127.0.0.1:1' } }, { public_net: { direct_url: 42 } }]) {
      assertClusterError(await join(body), 400, 'ErrInvalidArgument', 'join-by-admin: missing or invalid public_net.direct_url of the node', 'POST', path);
    }
    // a well-formed URL where nothing listens (port 1 on loopback refuses at once)
    assertClusterError(await join({ public_net: { direct_url: 'http://127.0.0.1:1' } }), 400, 'ErrInvalidArgument', /^join-by-admin: node at http:\/\/127\.0\.0\.1:1 is not reachable: /, 'POST', path);
    const smap = await getSmap(c.proxyUrl);
    assert.deepEqual(Object.keys(smap.tmap), [tid], 'nobody joined');
  });
});

describe('membership: maintenance round trip and join-by-admin (1 proxy + 3 targets)', () => {
  let c: ObjCluster;
  let agent: Agent;
  const exp = new Expected();

  before(async () => {
    c = await startObjCluster({ targets: 3 });
    agent = newAgent();
    await createBucket(c.proxyUrl, BCK);
    const names = Array.from({ length: OBJS_COUNT }, (_, i) => `m${i % 7}/obj-${String(i).padStart(4, '0')}`);
    await putMany(agent, c.proxyUrl, BCK, names, exp, SIZE_MIN, SIZE_MAX, CONCURRENCY);
  });
  after(async () => {
    await agent?.close();
    await c?.close();
  });

  async function waitReb(id: string): Promise<void> {
    assert.match(id, /^g\d+$/, `a rebalance id, got "${id}"`);
    const s = await waitRebSettled(c.proxyUrl, Number(id.slice(1)), REB_WAIT_MS);
    assert.equal(s.id, id, `no newer rebalance than ${id}`);
    assert.equal(s.status.aborted, false, `${id} aborted: ${s.status.err} (${describeSnaps(s.snaps)})`);
    assert.equal(s.status.err, '', `${id}: ${describeSnaps(s.snaps)}`);
    const st = await xactStatus(c.proxyUrl, id);
    assert.ok(st.end_time > 0);
  }

  /** Every object reads back through the proxy with its bytes; returns how many each target holds (HEAD on every target). */
  async function checkAll(): Promise<Map<string, number>> {
    const smap = await getSmap(c.proxyUrl);
    const urls = Object.values(smap.tmap).map((t) => ({ id: t.daemon_id, url: new URL(t.public_net.direct_url).origin }));
    const held = new Map(urls.map((u) => [u.id, 0]));
    const problems: string[] = [];
    await forEachLimit(exp.ackedNames(), CONCURRENCY, async (name) => {
      const g = await objRequest(agent, c.proxyUrl, 'GET', BCK, name);
      if (g.status !== 200 || !exp.accepts(name, md5(g.body))) return void problems.push(`GET ${name}: ${g.status} ${g.status === 200 ? 'wrong content' : g.body.toString('utf8').slice(0, 200)}`);
      const holders: string[] = [];
      for (const u of urls) {
        if ((await headOn(agent, u.url, BCK, name)) !== 200) continue;
        holders.push(u.url);
        held.set(u.id, held.get(u.id)! + 1);
      }
      if (holders.join() !== g.origin) problems.push(`${name}: held by [${holders.join(', ')}], owner ${g.origin}`);
    });
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problem(s)`);
    return held;
  }

  async function filesOnDisk(dir: string): Promise<number> {
    let n = 0;
    for (const mp of (await readdir(dir)).filter((x) => x.startsWith('mp'))) {
      const ents = await readdir(join(dir, mp, '@ais', BCK, '%ob'), { recursive: true, withFileTypes: true }).catch(() => []);
      n += ents.filter((e) => e.isFile()).length;
    }
    return n;
  }

  test('start-maintenance moves every object off the target; stop-maintenance brings it back', async () => {
    const t = targets(c.cluster)[0]!;
    const before = await checkAll();
    assert.ok(before.get(t.id)! > 0, `${t.id} holds objects before`);
    assert.equal(await filesOnDisk(t.dir), before.get(t.id), `${t.id}: one file per object it holds`);

    let r = await memberAct(c.proxyUrl, 'start-maintenance', { sid: t.id, skip_rebalance: false, rm_user_data: false, no_shutdown: false });
    assert.equal(r.status, 200, r.text);
    await waitReb(r.text);
    let smap = await getSmap(c.proxyUrl);
    assert.equal(smap.tmap[t.id]!.flags & SnodeFlag.maint, SnodeFlag.maint, 'the Smap flags the target: maintenance');
    const during = await checkAll();
    assert.equal(during.get(t.id), 0, `${t.id} in maintenance holds no object`);
    assert.equal(await filesOnDisk(t.dir), 0, `no object file left under ${t.id}'s mountpaths`);

    // still in maintenance: a second start changes nothing and starts no rebalance
    r = await memberAct(c.proxyUrl, 'start-maintenance', { sid: t.id });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '', 'no rebalance for a node already in maintenance');

    r = await memberAct(c.proxyUrl, 'stop-maintenance', { sid: t.id });
    assert.equal(r.status, 200, r.text);
    await waitReb(r.text);
    smap = await getSmap(c.proxyUrl);
    assert.equal(smap.tmap[t.id]!.flags & SnodeFlag.maint, 0, 'the maintenance flag is cleared');
    const afterBack = await checkAll();
    assert.equal(afterBack.get(t.id), before.get(t.id), `${t.id} holds its share again`);
    assert.equal(await filesOnDisk(t.dir), before.get(t.id), `${t.id}: one file per object it holds`);
  });

  test('join-by-admin: a standby target is added, rebalance runs, objects stay readable', async () => {
    const node = await c.cluster.addTarget({ standby: true });
    let smap = await getSmap(c.proxyUrl);
    assert.equal(smap.tmap[node.id], undefined, 'a standby node does not join by itself');
    const r = await http(`${c.proxyUrl}/v1/cluster/join-by-admin`, { method: 'POST', body: { public_net: { direct_url: node.publicUrl } } });
    assert.equal(r.status, 200, r.text);
    const res = JSON.parse(r.text) as { daemon_id: string; rebalance_id: string };
    assert.equal(res.daemon_id, node.id);
    await c.cluster.waitForSmap((m) => m.tmap[node.id] !== undefined);
    await waitReb(res.rebalance_id);
    smap = await getSmap(c.proxyUrl);
    assert.equal(Object.keys(smap.tmap).length, 4);
    const held = await checkAll();
    assert.ok(held.get(node.id)! > 0, `the new target holds its share (${held.get(node.id)})`);
  });
});
