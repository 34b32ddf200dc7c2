// `shoal storage mountpath show|attach|detach|enable|disable` and `shoal job start resilver t[ID]`
// as a child process against a real local cluster (1 proxy, 1 target with 2 mountpaths).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cliRunner } from '../support/cli-run.ts';
import { http, putObjects, waitFor } from '../support/cluster-helpers.ts';
import { createBucket, getObj, mountpathsOf, startObjCluster, targets, type ObjCluster } from '../support/obj-helpers.ts';
import type { Snap } from '../../protocol/xact.ts';

const BCK = 'cli-mpaths';
const NAMES = Array.from({ length: 60 }, (_, i) => `o-${String(i).padStart(3, '0')}`);
const RESILVER_WAIT_MS = 60_000;

let c: ObjCluster;
let tid: string;
let mps: string[];
let extra: string;

const { shoal, ok } = cliRunner(() => c.proxyUrl);

/** No resilver runs on the target and at least `n` have run. */
async function resilversDone(n: number): Promise<void> {
  await waitFor('resilver done', async () => {
    const r = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { kind: 'resilver' } });
    const snaps = (JSON.parse(r.text) as Record<string, Snap[]>)[tid] ?? [];
    return snaps.length >= n && snaps.every((s) => !s['end-time'].startsWith('0001-')) ? true : undefined;
  }, RESILVER_WAIT_MS);
}

async function allRead(): Promise<void> {
  for (const n of NAMES) {
    const { res, body } = await getObj(c.proxyUrl, BCK, n);
    assert.equal(res.status, 200, n);
    assert.equal(body.toString(), n);
  }
}

before(async () => {
  c = await startObjCluster({ targets: 1, mountpathsPerTarget: 2 });
  const t = targets(c.cluster)[0]!;
  tid = t.id;
  mps = (await mountpathsOf(t)).sort();
  extra = join(t.dir, 'mp-cli');
  await mkdir(extra, { recursive: true });
  await createBucket(c.proxyUrl, BCK);
  await putObjects(c.proxyUrl, BCK, NAMES);
});

after(async () => {
  await c?.close();
});

test('storage mountpath show: every target, one target, JSON', async () => {
  const out = await ok('storage', 'mountpath', 'show');
  assert.match(out, /^TARGET\s+MOUNTPATH\s+STATUS\n/);
  for (const mp of mps) assert.match(out, new RegExp(`t\\[${tid}\\]\\s+${mp}\\s+available`));
  assert.equal(await ok('storage', 'mountpath', 'show', `t[${tid}]`), out);
  const json = JSON.parse(await ok('storage', 'mountpath', 'show', tid, '--json')) as Record<string, unknown>;
  assert.deepEqual(json, { [tid]: { available: mps, waiting_dd: [], disabled: [] } });
});

test('attach, disable, enable, detach: resilver runs, objects stay readable', async () => {
  assert.equal(await ok('storage', 'mountpath', 'attach', `t[${tid}]=${extra}`), `t[${tid}]: attached mountpath ${extra}\n`);
  await resilversDone(1);
  assert.match(await ok('storage', 'mountpath', 'show', tid), new RegExp(`${extra}\\s+available`));
  await allRead();

  assert.equal(await ok('storage', 'mountpath', 'disable', `${tid}=${extra}`), `t[${tid}]: disabled mountpath ${extra}\n`);
  await resilversDone(2);
  assert.match(await ok('storage', 'mountpath', 'show', tid), new RegExp(`${extra}\\s+disabled`));
  assert.equal(await ok('storage', 'mountpath', 'disable', `${tid}=${extra}`), `t[${tid}]: mountpath ${extra} is already disabled\n`);
  await allRead();

  await ok('storage', 'mountpath', 'enable', `t[${tid}]=${extra}`);
  await resilversDone(3);
  await ok('storage', 'mountpath', 'detach', `t[${tid}]=${extra}`);
  await resilversDone(4);
  assert.doesNotMatch(await ok('storage', 'mountpath', 'show', tid), new RegExp(extra));
  await allRead();

  // --no-resilver: attached and left where they are; then detached the same way.
  await ok('storage', 'mountpath', 'attach', `t[${tid}]=${extra}`, '--no-resilver');
  await ok('storage', 'mountpath', 'detach', `t[${tid}]=${extra}`, '--no-resilver');
  await allRead(); // nothing had moved onto it
});

test('job start resilver t[ID] --wait; without a target the server refuses (501)', async () => {
  const xid = (await ok('job', 'start', 'resilver', `t[${tid}]`, '--wait', '--timeout', '60s')).trim();
  assert.equal(xid.length, 9);
  const r = await shoal('job', 'start', 'resilver');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: .*cannot run resilver on all targets in the cluster - operation not supported/);
});

test('bad input: usage errors exit 2, server errors exit 1 with the message', async () => {
  let r = await shoal('storage', 'mountpath', 'attach', '/no/target');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /expected t\[ID\]=\/path/);
  r = await shoal('storage', 'mountpath', 'attach', `p[${tid}]=/x`);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is a proxy: only targets have mountpaths/);
  r = await shoal('storage', 'mountpath', 'attach', `t[${tid}]=/no/such/dir`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: .*mountpath \/no\/such\/dir does not exist/);
  r = await shoal('storage', 'mountpath', 'attach', `t[${tid}]=${mps[0]}`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /already attached/);
  r = await shoal('storage', 'mountpath', 'show', 't[nosuch]');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /node nosuch not present in Smap/);
  r = await shoal('storage', 'mountpath', 'detach', `t[${tid}]=/no/such/dir`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist/);
});
