// Membership and rebalance through the real `shoal` CLI against real node processes: a target joins
// (self-join, then join-by-admin of a standby node), maintenance on and off, decommission, shutdown and restart; each change
// shows in `show rebalance` / `show cluster`, and every object reads back intact through `shoal get`.
// The steps run in order on one cluster (1 proxy + 2 targets at the start).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI_BIN, cliRunner, type CliRun } from '../support/cli-run.ts';
import { http, waitFor } from '../support/cluster-helpers.ts';
import { createBucket, putObj, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { runCli } from '../unit/cli/fake-ais.ts';

const BCK = 'cli-cluster';
const OBJ_COUNT = 200;
const NAMES = Array.from({ length: OBJ_COUNT }, (_, i) => `obj-${String(i).padStart(3, '0')}`);
/** A bound for every CLI wait, so a stuck rebalance fails the test instead of hanging it. */
const WAIT = '120s';
/** No single CLI run may take longer than this (it is killed and the test fails). */
const CLI_RUN_TIMEOUT_MS = 180_000;
/** How long a rebalance may take to show up after the Smap change that triggers it. */
const REB_APPEAR_TIMEOUT_MS = 30_000;
const GET_CONCURRENCY = 8;
const PUT_CONCURRENCY = 16;

let c: ObjCluster;

const { shoal, ok } = cliRunner(() => c.proxyUrl, { timeoutMs: CLI_RUN_TIMEOUT_MS });

/** Deterministic content per name, 0.1–6 KiB, so a misplaced or mixed-up copy shows. */
function contentOf(name: string): Buffer {
  const i = Number(name.slice(4));
  return Buffer.from(`${name}:${'x'.repeat(i % 7)}\n`.repeat(10 + i * 3));
}

/** `Started rebalance "gN"` → gN (undefined when the command started none). */
function startedReb(out: string): string | undefined {
  return /^Started rebalance "(g\d+)"/m.exec(out)?.[1];
}

/** The `show cluster` row of node `id`: [name, type, status, url, flags]. */
function clusterRow(out: string, id: string): string[] | undefined {
  const line = out.split('\n').find((l) => l.startsWith(`t[${id}]`) || l.startsWith(`p[${id}]`));
  return line?.split(/\s+/);
}

/** For a failed wait: what the cluster says about its rebalances (IC status and per-target snapshots). */
async function rebDiag(): Promise<string> {
  const get = async (what: string): Promise<string> => {
    const r = await http(`${c.proxyUrl}/v1/cluster?what=${what}`, { body: { kind: 'rebalance', show_active: false } });
    return `${what}: ${r.status} ${r.text.slice(0, 4000)}`;
  };
  return `${await get('status_all')}\n${await get('qryxstats')}`;
}

/** `shoal job wait ARG`, with the cluster's view of its rebalances in the failure message. */
async function waitReb(arg: string): Promise<string> {
  const r = await shoal('job', 'wait', arg, '--timeout', WAIT);
  if (r.code !== 0) assert.fail(`shoal job wait ${arg} failed (${r.code}): ${r.stderr}\n${await rebDiag()}`);
  return r.stdout;
}

async function targetIds(): Promise<string[]> {
  const smap = (await (await fetch(`${c.proxyUrl}/v1/cluster?what=smap`)).json()) as { tmap: Record<string, unknown> };
  return Object.keys(smap.tmap).sort();
}

before(async () => {
  c = await startObjCluster({ targets: 2, mountpathsPerTarget: 2 });
  await createBucket(c.proxyUrl, BCK);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < NAMES.length; i = next++) {
      const res = await putObj(c.proxyUrl, BCK, NAMES[i]!, contentOf(NAMES[i]!));
      assert.equal(res.status, 200, `PUT ${NAMES[i]}: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: PUT_CONCURRENCY }, worker));
});

after(async () => {
  await c?.close();
});

test('a target self-joins: show rebalance shows the rebalance, job wait rebalance waits for it', async () => {
  const added = await c.cluster.addTarget();
  assert.ok((await targetIds()).includes(added.id));
  // the primary starts rebalance right after the Smap change: poll the CLI until it shows it
  const shown = await waitFor(
    'show rebalance to list a rebalance',
    async () => {
      const r = await shoal('show', 'rebalance');
      return r.code === 0 && /^g\d+\s+t\[/m.test(r.stdout) ? r.stdout : undefined;
    },
    REB_APPEAR_TIMEOUT_MS,
  );
  const lines = shown.trim().split('\n');
  assert.match(lines[0]!, /^REB ID\s+NODE\s+TX OBJECTS\s+TX BYTES\s+RX OBJECTS\s+RX BYTES\s+START\s+END\s+STATE$/);
  assert.match(lines.at(-1)!, /^Rebalance g\d+ (is running|completed)\.$/);
  const xid = /^(g\d+)\s/m.exec(shown)![1]!;
  // one row per target that runs it (the new one included), each a well-formed row
  const rows = lines.filter((l) => l.startsWith(`${xid} `));
  assert.ok(rows.length >= 2, shown);
  for (const r of rows) assert.match(r, /^g\d+\s+t\[\S+\]\s+\d+\s+\S+\s+\d+\s+\S+\s+\d\d:\d\d:\d\d\s+(-|\d\d:\d\d:\d\d)\s+(Running|Idle|Finished)$/);

  assert.match(await waitReb('rebalance'), /rebalance: no jobs running/);
  const done = await ok('show', 'rebalance');
  assert.match(done, new RegExp(`\\nRebalance ${xid} completed\\.\\n$`));
  // the new target received its share: the migrated total is printed
  assert.match(done, new RegExp(`^${xid}: \\d+ objects migrated \\(total size \\S+\\)$`, 'm'));
  // and the generic job views list it too
  const jobs = await ok('job', 'show', 'rebalance', '--all');
  assert.ok(jobs.split('\n').some((l) => l.includes(` ${xid} `) && /rebalance/.test(l)), jobs);
});

test('join-by-admin: a standby target joins through the CLI; the rebalance id is printed', async () => {
  const standby = await c.cluster.addTarget({ standby: true });
  assert.ok(!(await targetIds()).includes(standby.id), 'a standby node does not join by itself');
  const out = await ok('cluster', 'add-remove-nodes', 'join', standby.publicUrl, '--role', 'target');
  assert.match(out, new RegExp(`^t\\[${standby.id}\\] successfully joined the cluster$`, 'm'));
  const xid = startedReb(out);
  assert.ok(xid, `a rebalance id is printed: ${out}`);
  assert.ok((await targetIds()).includes(standby.id));
  assert.match(await waitReb(xid), new RegExp(`\\[${xid}\\] finished`));
});

test('start-maintenance prints the rebalance id; show cluster says maintenance; stop-maintenance makes it active', async () => {
  const [victim] = await targetIds();
  const out = await ok('cluster', 'add-remove-nodes', 'start-maintenance', `t[${victim}]`);
  const xid = startedReb(out);
  assert.ok(xid, `a rebalance id is printed: ${out}`);
  assert.match(out, new RegExp(`^t\\[${victim}\\] is now in maintenance mode$`, 'm'));
  assert.deepEqual(clusterRow(await ok('show', 'cluster'), victim!)?.slice(1, 3), ['target', 'maintenance']);
  await waitReb(xid);
  assert.match(await ok('show', 'rebalance', xid), new RegExp(`Rebalance ${xid} completed\\.\\n$`));

  const back = await ok('cluster', 'add-remove-nodes', 'stop-maintenance', victim!);
  assert.match(back, new RegExp(`^t\\[${victim}\\] is now active$`, 'm'));
  assert.deepEqual(clusterRow(await ok('show', 'cluster'), victim!)?.slice(1, 3), ['target', 'online']);
  const xid2 = startedReb(back);
  if (xid2 !== undefined) await waitReb(xid2);
});

test('decommission: the target leaves the Smap after its data moved away', async () => {
  const before = await targetIds();
  const victim = before[before.length - 1]!;
  const out = await ok('cluster', 'add-remove-nodes', 'decommission', `t[${victim}]`);
  const xid = startedReb(out);
  assert.ok(xid, `a rebalance id is printed: ${out}`);
  assert.match(out, new RegExp(`^t\\[${victim}\\] is being decommissioned`, 'm'));
  await waitReb(xid);
  await c.cluster.waitForSmap((s) => s.tmap[victim] === undefined && Object.keys(s.tmap).length === before.length - 1);
  assert.equal(clusterRow(await ok('show', 'cluster'), victim), undefined);
});

test('shutdown: the node stops and stays in the map in maintenance; restarted and activated, it serves again', async () => {
  const [victim] = await targetIds();
  const node = c.cluster.nodes.find((n) => n.id === victim)!;
  const out = await ok('cluster', 'add-remove-nodes', 'shutdown', `t[${victim}]`);
  const xid = startedReb(out);
  assert.ok(xid, `a rebalance id is printed: ${out}`);
  assert.match(out, new RegExp(`^t\\[${victim}\\] is shutting down, please wait for cluster rebalancing to finish$`, 'm'));
  await waitReb(xid);
  await waitFor('the shut-down node to exit', async () => (node.process.exitCode !== null || node.process.signalCode !== null ? true : undefined), REB_APPEAR_TIMEOUT_MS);
  assert.deepEqual(clusterRow(await ok('show', 'cluster'), victim!)?.slice(1, 3), ['target', 'maintenance']);
  await c.cluster.restart(victim!);
  const back = await ok('cluster', 'add-remove-nodes', 'stop-maintenance', `t[${victim}]`);
  assert.match(back, new RegExp(`^t\\[${victim}\\] is now active$`, 'm'));
  const xid2 = startedReb(back);
  if (xid2 !== undefined) await waitReb(xid2);
  assert.deepEqual(clusterRow(await ok('show', 'cluster'), victim!)?.slice(1, 3), ['target', 'online']);
});

test('every object reads back intact through shoal get', async () => {
  // All 200 through the CLI's own program in-process (a process per object costs a second of CPU
  // each on a busy box), writing files as `shoal get B/O FILE` does; every 10th also through the
  // real binary to stdout.
  const dir = await mkdtemp(join(tmpdir(), 'shoal-cli-cluster-'));
  try {
    const bad: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < NAMES.length; i = next++) {
        const name = NAMES[i]!;
        const file = join(dir, name);
        const r = await runCli(c.proxyUrl, 'get', `ais://${BCK}/${name}`, file);
        const body = r.code === 0 ? await readFile(file) : Buffer.alloc(0);
        if (r.code !== 0 || !body.equals(contentOf(name))) bad.push(`${name}: code ${r.code} ${r.err.trim()} (${body.length} bytes)`);
        else if (!r.out.startsWith(`GET ${name} from ais://${BCK} as "${file}"`)) bad.push(`${name}: output ${r.out}`);
      }
    };
    await Promise.all(Array.from({ length: GET_CONCURRENCY }, worker));
    for (const name of NAMES.filter((_, i) => i % 10 === 0)) {
      const r = await new Promise<{ code: number; out: Buffer; err: string }>((resolve) => {
        execFile(process.execPath, [CLI_BIN, 'get', `ais://${BCK}/${name}`, '-'], { env: { ...process.env, AIS_ENDPOINT: c.proxyUrl }, encoding: 'buffer', timeout: CLI_RUN_TIMEOUT_MS }, (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
          resolve({ code, out: stdout, err: stderr.toString() });
        });
      });
      if (r.code !== 0 || !r.out.equals(contentOf(name))) bad.push(`${name} (binary): code ${r.code} ${r.err.trim()} (${r.out.length} bytes)`);
    }
    assert.deepEqual(bad, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an unknown node: exit 1 with the server's message", async () => {
  for (const action of ['start-maintenance', 'stop-maintenance', 'decommission', 'shutdown']) {
    const r = await shoal('cluster', 'add-remove-nodes', action, 't[no-such-node]');
    assert.equal(r.code, 1, `${action}: ${r.stderr}`);
    assert.match(r.stderr, /^Error: .*no-such-node/, action);
    assert.equal(r.stdout, '');
  }
  const join = await shoal('cluster', 'add-remove-nodes', 'join', '127.0.0.1:1');
  assert.equal(join.code, 1, join.stderr);
  assert.match(join.stderr, /^Error: /);
  const usage = await shoal('cluster', 'add-remove-nodes', 'decommission', 't[not valid]');
  assert.equal(usage.code, 2, usage.stderr);
});

test('decommission of the last target, and of the primary proxy: exit 1 with the 400 message', async () => {
  const one = await startObjCluster({ targets: 1, mountpathsPerTarget: 1 });
  try {
    const run = (...args: string[]): Promise<CliRun> =>
      new Promise((resolve) => {
        execFile(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, AIS_ENDPOINT: one.proxyUrl }, timeout: CLI_RUN_TIMEOUT_MS }, (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
          resolve({ code, stdout, stderr });
        });
      });
    const target = one.cluster.nodes.find((n) => n.role === 'target')!;
    const proxy = one.cluster.nodes.find((n) => n.role === 'proxy')!;
    const last = await run('cluster', 'add-remove-nodes', 'decommission', `t[${target.id}]`);
    assert.equal(last.code, 1, last.stderr);
    assert.match(last.stderr, /^Error: .*(last target|no target would be left)/i);
    const primary = await run('cluster', 'add-remove-nodes', 'decommission', `p[${proxy.id}]`);
    assert.equal(primary.code, 1, primary.stderr);
    assert.match(primary.stderr, /^Error: .*primary/i);
    // both refused: the cluster is unchanged
    const smap = (await (await fetch(`${one.proxyUrl}/v1/cluster?what=smap`)).json()) as { tmap: Record<string, unknown>; pmap: Record<string, unknown> };
    assert.deepEqual([Object.keys(smap.pmap), Object.keys(smap.tmap)], [[proxy.id], [target.id]]);
  } finally {
    await one.close();
  }
});
