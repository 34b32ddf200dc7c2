// `shoal show rebalance`: grouping and ordering of snapshots, the table and totals, the cluster-wide
// state line (IC status first, snapshots as fallback), --all, --refresh/--count, bad flags.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { groupRebSnaps, rebStateFromSnaps, rebStateFromStatus, renderRebGroup, showRebalance } from '../../../cli/commands/rebalance.ts';
import type { CliContext } from '../../../cli/context.ts';
import { AisClient } from '../../../cli/client.ts';
import { ZERO_TIME, type Snap } from '../../../protocol/xact.ts';
import { runCli, startFakeAis, type FakeAis, type FakeReply, type FakeRequest } from './fake-ais.ts';

const T0 = '2026-11-27T01:02:03Z';
const T1 = '2026-11-27T01:02:09Z';

function snap(id: string, o: { out?: number; outBytes?: number; in?: number; inBytes?: number; end?: string; aborted?: boolean } = {}): Snap {
  return {
    id,
    kind: 'rebalance',
    bck: { provider: '', name: '', namespace: { uuid: '', name: '' } },
    'start-time': T0,
    'end-time': o.end ?? ZERO_TIME,
    'abort-err': o.aborted ? 'newer Smap' : '',
    err: '',
    stats: {
      'loc-objs': '0', 'loc-bytes': '0',
      'out-objs': String(o.out ?? 0), 'out-bytes': String(o.outBytes ?? 0),
      'in-objs': String(o.in ?? 0), 'in-bytes': String(o.inBytes ?? 0),
    },
    aborted: o.aborted ?? false,
    is_idle: false,
    state: o.aborted ? 'aborted' : o.end ? 'finished' : 'running',
  };
}

test('groups by id, generations in numeric order (g9 before g10), targets sorted', () => {
  const groups = groupRebSnaps({ tB: [snap('g10'), snap('g9')], tA: [snap('g10'), snap('g9')], tC: null as unknown as Snap[] });
  assert.deepEqual(groups.map((g) => g.map((x) => `${x.snap.id}/${x.tid}`)), [['g9/tA', 'g9/tB'], ['g10/tA', 'g10/tB']]);
  assert.deepEqual(groupRebSnaps({ tA: [snap('g10'), snap('g9')] }, 'g9').map((g) => g.length), [1]);
});

test('table: TX/RX per target, times, state, and the migrated total', () => {
  const [g] = groupRebSnaps({
    t1: [snap('g3', { out: 10, outBytes: 2048, in: 1, inBytes: 100, end: T1 })],
    t2: [snap('g3', { out: 5, outBytes: 1024, in: 14, inBytes: 2972 })],
  });
  const lines = renderRebGroup(g!).trimEnd().split('\n');
  assert.match(lines[0]!, /^REB ID\s+NODE\s+TX OBJECTS\s+TX BYTES\s+RX OBJECTS\s+RX BYTES\s+START\s+END\s+STATE$/);
  assert.match(lines[1]!, /^g3\s+t\[t1\]\s+10\s+2\.00KiB\s+1\s+100B\s+01:02:03\s+01:02:09\s+Finished$/);
  assert.match(lines[2]!, /^g3\s+t\[t2\]\s+5\s+1\.00KiB\s+14\s+2\.90KiB\s+01:02:03\s+-\s+Running$/);
  assert.equal(lines[3], 'g3: 15 objects migrated (total size 3.00KiB)');
  const [idle] = groupRebSnaps({ t1: [snap('g4', { end: T1 })] });
  assert.equal(renderRebGroup(idle!).trimEnd().split('\n').length, 2, 'no total line when nothing moved');
});

test('cluster-wide state from snapshots and from the IC status', () => {
  const one = (o: Parameters<typeof snap>[1]) => groupRebSnaps({ a: [snap('g1', { end: T1 })], b: [snap('g1', o)] })[0]!;
  assert.equal(rebStateFromSnaps(one({})), 'running');
  assert.equal(rebStateFromSnaps(one({ end: T1 })), 'completed');
  assert.equal(rebStateFromSnaps(one({ end: T1, aborted: true })), 'aborted');
  assert.equal(rebStateFromStatus({ aborted: false, end_time: 0 }), 'running');
  assert.equal(rebStateFromStatus({ aborted: false, end_time: 17 }), 'completed');
  assert.equal(rebStateFromStatus({ aborted: true, end_time: 17 }), 'aborted');
});

let fake: FakeAis;
let snaps: Record<string, Snap[]>;
let status: FakeReply;

function route(req: FakeRequest): FakeReply {
  const what = req.query.get('what');
  if (req.path === '/v1/cluster' && what === 'qryxstats') return { body: snaps };
  if (req.path === '/v1/cluster' && what === 'status') return status;
  return { status: 404, body: { status: 404, message: `fake: no route ${req.method} ${req.path}?${req.query}` } };
}

before(async () => {
  fake = await startFakeAis(route);
});
after(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.handler = route;
  snaps = {
    t1: [snap('g2', { out: 3, outBytes: 30, end: T1 }), snap('g3', { out: 1, outBytes: 10 })],
    t2: [snap('g2', { in: 3, inBytes: 30, end: T1 }), snap('g3', { in: 1, inBytes: 10 })],
  };
  status = { body: { kind: 'rebalance', uuid: 'g3', err: '', end_time: 0, aborted: false, is_idle: false } };
});

test('show rebalance: the latest only, the query it sends, the IC state line', async () => {
  const r = await runCli(fake.url, 'show', 'rebalance');
  assert.equal(r.code, 0, r.err);
  const q = fake.requests.find((x) => x.query.get('what') === 'qryxstats');
  assert.deepEqual(q?.body, { id: '', kind: 'rebalance', show_active: false });
  assert.deepEqual(fake.requests.find((x) => x.query.get('what') === 'status')?.body, { id: 'g3' });
  assert.ok(!r.out.includes('g2'), r.out);
  assert.equal(r.out.split('\n').filter((l) => l.startsWith('g3 ')).length, 2);
  assert.ok(r.out.endsWith('\nRebalance g3 is running.\n'), r.out);
});

test('show rebalance --all: every generation; an id argument selects one', async () => {
  status = { body: { kind: 'rebalance', uuid: 'g3', err: '', end_time: 5, aborted: false, is_idle: false } };
  const all = await runCli(fake.url, 'show', 'rebalance', '--all');
  assert.equal(all.code, 0, all.err);
  assert.ok(all.out.indexOf('g2 ') < all.out.indexOf('g3 '), all.out);
  assert.match(all.out, /g2: 3 objects migrated/);
  assert.ok(all.out.endsWith('\nRebalance g3 completed.\n'), all.out);
  const one = await runCli(fake.url, 'show', 'rebalance', 'g2');
  assert.equal(one.code, 0, one.err);
  assert.ok(!one.out.includes('g3 '), one.out);
});

test('no IC status (404): the snapshots decide; nothing at all: a plain message', async () => {
  status = { status: 404, body: { status: 404, message: 'xaction "g3" not found' } };
  snaps.t1![1] = snap('g3', { end: T1, aborted: true });
  const r = await runCli(fake.url, 'show', 'rebalance');
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.endsWith('\nRebalance g3 aborted.\n'), r.out);
  snaps = {};
  const none = await runCli(fake.url, 'show', 'rebalance');
  assert.equal(none.code, 0);
  assert.equal(none.out, 'No rebalance has run in this cluster yet.\n');
});

test('--refresh reports until the rebalance ends; --count bounds it', async () => {
  let polls = 0;
  fake.handler = (req) => {
    if (req.query.get('what') === 'status') {
      polls++;
      return { body: { kind: 'rebalance', uuid: 'g3', err: '', end_time: polls >= 3 ? 9 : 0, aborted: false, is_idle: false } };
    }
    return route(req);
  };
  const client = new AisClient(fake.url);
  let out = '';
  const sleeps: number[] = [];
  const ctx: CliContext = { client: () => client, out: (t) => void (out += t), err: () => {}, errIsTty: () => false, close: () => client.close() };
  try {
    await showRebalance(ctx, undefined, { refresh: '2s' }, { sleep: async (ms) => void sleeps.push(ms) });
    assert.deepEqual(sleeps, [2000, 2000]);
    assert.equal(out.match(/Rebalance g3 is running\./g)?.length, 2);
    assert.ok(out.endsWith('Rebalance g3 completed.\n'));
    polls = -100;
    sleeps.length = 0;
    await showRebalance(ctx, undefined, { refresh: '1s', count: '4' }, { sleep: async (ms) => void sleeps.push(ms) });
    assert.equal(sleeps.length, 3, 'four reports, three sleeps');
  } finally {
    await ctx.close();
  }
});

test('bad flags and ids are usage errors', async () => {
  for (const args of [['--refresh', 'soon'], ['--refresh', '0'], ['--count', '3'], ['--refresh', '1s', '--count', '0'], ['--refresh', '1s', '--count', 'x'], ['rebalance-7']]) {
    const r = await runCli(fake.url, 'show', 'rebalance', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /^Error: /);
  }
  assert.equal(fake.requests.length, 0, 'nothing was asked of the cluster');
});

test('the generic job commands take "rebalance" as a kind and a g<N> id as a job id', async () => {
  let statusAllPolls = 0;
  fake.handler = (req) => {
    const what = req.query.get('what');
    if (what === 'status_all') {
      statusAllPolls++;
      return { body: [{ kind: 'rebalance', uuid: 'g3', err: '', end_time: statusAllPolls >= 2 ? 9 : 0, aborted: false, is_idle: false }] };
    }
    if (what === 'status') return { body: { kind: 'rebalance', uuid: 'g3', err: '', end_time: 9, aborted: false, is_idle: false } };
    return route(req);
  };
  const show = await runCli(fake.url, 'job', 'show', 'rebalance', '--all');
  assert.equal(show.code, 0, show.err);
  assert.deepEqual(fake.requests.find((x) => x.query.get('what') === 'qryxstats')?.body, { id: '', kind: 'rebalance', show_active: false });
  assert.equal(show.out.split('\n').filter((l) => /^t\[t[12]\]\s+g3\s+rebalance\s/.test(l)).length, 2, show.out);
  const waitKind = await runCli(fake.url, 'job', 'wait', 'rebalance', '--timeout', '30s');
  assert.equal(waitKind.code, 0, waitKind.err);
  assert.equal(waitKind.out, 'rebalance: no jobs running\n');
  assert.deepEqual(fake.requests.find((x) => x.query.get('what') === 'status_all')?.body, { kind: 'rebalance', show_active: false });
  const waitId = await runCli(fake.url, 'job', 'wait', 'g3', '--timeout', '30s');
  assert.equal(waitId.code, 0, waitId.err);
  assert.equal(waitId.out, 'rebalance[g3] finished\n');
});
