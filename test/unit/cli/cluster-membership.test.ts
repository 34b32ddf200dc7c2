// `shoal cluster add-remove-nodes ...`: argument parsing, the exact request each command sends, what it
// prints, and how server errors surface (against a loopback fake proxy).
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { nodeActionReport, NodeAction, parseJoinUrl, parseNodeId, parseRole, rmNodeValue } from '../../../cli/commands/cluster.ts';
import { nodeStatus } from '../../../cli/commands/show.ts';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import type { Smap, Snode } from '../../../protocol/smap.ts';
import { runCli, startFakeAis, type FakeAis, type FakeRequest, type FakeReply } from './fake-ais.ts';

function snode(id: string, type: 'proxy' | 'target', flags = 0): Snode {
  const net = { node_ip_addr: '127.0.0.1', daemon_port: '1', direct_url: `http://127.0.0.1:1/${id}` };
  return { daemon_id: id, daemon_type: type, public_net: net, intra_control_net: net, intra_data_net: net, flags, id_digest: '1' };
}

const SMAP: Smap = {
  pmap: { p1: snode('p1', 'proxy') },
  tmap: { t1: snode('t1', 'target'), t2: snode('t2', 'target', 4), t3: snode('t3', 'target', 8) },
  proxy_si: snode('p1', 'proxy'),
  uuid: 'u',
  creation_time: '',
  version: '9',
};

let fake: FakeAis;
/** What the fake answers to the node action (PUT /v1/cluster). */
let actReply: FakeReply;

function route(req: FakeRequest): FakeReply {
  if (req.method === 'GET' && req.path === '/v1/cluster' && req.query.get('what') === 'smap') return { body: SMAP };
  if (req.method === 'PUT' && req.path === '/v1/cluster') return actReply;
  if (req.method === 'POST' && req.path === '/v1/cluster/join-by-admin') return { body: { daemon_id: 't777', rebalance_id: 'g12' } };
  return { status: 404, body: { status: 404, message: `fake: no route ${req.method} ${req.path}` } };
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
  actReply = { body: 'g10' };
});

function actions(): FakeRequest[] {
  return fake.requests.filter((r) => r.method === 'PUT');
}

test('node ids: t[ID], p[ID], p[ID][P], bare; junk is a usage error', () => {
  assert.equal(parseNodeId('t[abc]'), 'abc');
  assert.equal(parseNodeId('p[x-1]'), 'x-1');
  assert.equal(parseNodeId('p[p1][P]'), 'p1');
  assert.equal(parseNodeId('t8081'), 't8081');
  for (const bad of ['', 't[]', 't[a b]', 'a/b', 'x'.repeat(33), 't[abc']) assert.throws(() => parseNodeId(bad), ErrInvalidArgument, bad);
});

test('join address: URL or HOST:PORT, localhost → 127.0.0.1; no port, a path or another scheme refused', () => {
  assert.equal(parseJoinUrl('http://127.0.0.1:8090'), 'http://127.0.0.1:8090');
  assert.equal(parseJoinUrl('127.0.0.1:8090'), 'http://127.0.0.1:8090');
  assert.equal(parseJoinUrl('localhost:8090'), 'http://127.0.0.1:8090');
  assert.equal(parseJoinUrl('http://localhost:8090/'), 'http://127.0.0.1:8090');
  assert.equal(parseJoinUrl('https://h.example:443'), 'https://h.example:443');
  for (const bad of ['127.0.0.1', 'http://127.0.0.1', 'ftp://h:1', 'http://h:1/v1', 'http://h:1?x=1', ':::']) {
    assert.throws(() => parseJoinUrl(bad), ErrInvalidArgument, bad);
  }
});

test('roles: proxy|p, target|t', () => {
  assert.equal(parseRole('p'), 'proxy');
  assert.equal(parseRole('target'), 'target');
  assert.throws(() => parseRole('gateway'), /invalid --role "gateway"/);
});

test('ActValRmNode from flags', () => {
  assert.deepEqual(rmNodeValue('t1', {}), { sid: 't1', skip_rebalance: false, rm_user_data: false, no_shutdown: false });
  assert.deepEqual(rmNodeValue('t1', { noRebalance: true, rmUserData: true, noShutdown: true }), { sid: 't1', skip_rebalance: true, rm_user_data: true, no_shutdown: true });
});

test('node status from Smap flags', () => {
  assert.equal(nodeStatus(0), 'online');
  assert.equal(nodeStatus(1 | 2), 'online');
  assert.equal(nodeStatus(4), 'maintenance');
  assert.equal(nodeStatus(8), 'decommissioning');
  assert.equal(nodeStatus(4 | 8), 'decommissioning');
});

test('reports, as AIS words them', () => {
  assert.equal(nodeActionReport(NodeAction.startMaintenance, 't[a]', 'g3'), `Started rebalance "g3" (to monitor, run 'shoal show rebalance').\nt[a] is now in maintenance mode\n`);
  assert.equal(nodeActionReport(NodeAction.stopMaintenance, 't[a]', ''), 't[a] is now active\n');
  assert.match(nodeActionReport(NodeAction.decommissionNode, 't[a]', 'g4'), /t\[a\] is being decommissioned, please wait for cluster rebalancing to finish/);
  assert.match(nodeActionReport(NodeAction.decommissionNode, 't[a]', ''), /t\[a\] has been decommissioned \(permanently removed from the cluster\)/);
  assert.match(nodeActionReport(NodeAction.shutdownNode, 'p[b]', ''), /p\[b\] has been shut down\n\nNote: the node p\[b\] is _not_ decommissioned/);
});

test('start-maintenance t[ID] sends the action and prints the rebalance id', async () => {
  const r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'start-maintenance', 't[t1]');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(actions().map((a) => a.body), [{ action: 'start-maintenance', value: { sid: 't1', skip_rebalance: false, rm_user_data: false, no_shutdown: false } }]);
  assert.equal(r.out, `Started rebalance "g10" (to monitor, run 'shoal show rebalance').\nt[t1] is now in maintenance mode\n`);
  assert.equal(r.err, '');
});

test('stop-maintenance with --skip-rebalance (or AIS --no-rebalance) warns on stderr and sends skip_rebalance', async () => {
  actReply = { body: '' };
  for (const flag of ['--skip-rebalance', '--no-rebalance']) {
    fake.requests.length = 0;
    const r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'stop-maintenance', 't2', flag);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(actions()[0]!.body, { action: 'stop-maintenance', value: { sid: 't2', skip_rebalance: true, rm_user_data: false, no_shutdown: false } });
    assert.equal(r.out, 't[t2] is now active\n');
    assert.match(r.err, /^Warning: executing "stop-maintenance" _and_ not running global rebalance may lead to a loss of data!/);
  }
});

test('decommission --rm-user-data --no-shutdown; shutdown of a proxy', async () => {
  let r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'decommission', 't[t3]', '--rm-user-data', '--no-shutdown', '--yes');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(actions()[0]!.body, { action: 'decommission-node', value: { sid: 't3', skip_rebalance: false, rm_user_data: true, no_shutdown: true } });
  assert.match(r.out, /t\[t3\] is being decommissioned/);
  fake.requests.length = 0;
  actReply = { body: '' };
  r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'shutdown', 'p[p1]');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(actions()[0]!.body, { action: 'shutdown-node', value: { sid: 'p1', skip_rebalance: false, rm_user_data: false, no_shutdown: false } });
  assert.match(r.out, /^p\[p1\] has been shut down/);
});

test('flags that only decommission takes are usage errors elsewhere; a missing node is a usage error', async () => {
  for (const args of [
    ['shutdown', 't1', '--rm-user-data'],
    ['start-maintenance', 't1', '--no-shutdown'],
    ['start-maintenance'],
    ['decommission', 't1', 't2'],
  ]) {
    const r = await runCli(fake.url, 'cluster', 'add-remove-nodes', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
  }
  assert.equal(actions().length, 0, 'nothing was sent');
  const bad = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'start-maintenance', 't[a b]');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^Error: invalid node "t\[a b\]": expected t\[ID\], p\[ID\] or a node ID/);
});

test("server errors: the server's message, exit 1", async () => {
  actReply = { status: 404, body: { tcode: 'ErrNodeNotFound', status: 404, message: 'node "nope" does not exist' } };
  let r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'start-maintenance', 'nope');
  assert.equal(r.code, 1);
  assert.equal(r.err, 'Error: node "nope" does not exist\n');
  assert.equal(r.out, '');
  actReply = { status: 400, body: { tcode: 'ErrInvalidArgument', status: 400, message: 'cannot decommission the last target' } };
  r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'decommission', 't1');
  assert.equal(r.code, 1, 'a 400 from the server is a failure, not a usage error');
  assert.equal(r.err, 'Error: cannot decommission the last target\n');
});

test('join: the partial Snode sent to join-by-admin; the new id and rebalance printed', async () => {
  const r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'join', 'localhost:8095');
  assert.equal(r.code, 0, r.err);
  const join = fake.requests.find((q) => q.path === '/v1/cluster/join-by-admin');
  assert.deepEqual(join?.body, { daemon_type: 'target', public_net: { direct_url: 'http://127.0.0.1:8095' } });
  assert.equal(r.out, `t[t777] successfully joined the cluster\nStarted rebalance "g12" (to monitor, run 'shoal show rebalance').\n`);
  const p = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'join', 'http://127.0.0.1:8096', '--role', 'p');
  assert.equal(p.code, 0, p.err);
  assert.deepEqual(fake.requests.at(-1)?.body, { daemon_type: 'proxy', public_net: { direct_url: 'http://127.0.0.1:8096' } });
  const bad = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'join', '127.0.0.1');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /missing port/);
  const role = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'join', '127.0.0.1:1', '--role', 'x');
  assert.equal(role.code, 2);
});

test('join: a reply without daemon_id is an error', async () => {
  fake.handler = (req) => (req.path === '/v1/cluster/join-by-admin' ? { body: { rebalance_id: '' } } : route(req));
  const r = await runCli(fake.url, 'cluster', 'add-remove-nodes', 'join', '127.0.0.1:8095');
  assert.equal(r.code, 1);
  assert.match(r.err, /no daemon_id/);
});

test('show cluster shows each node status', async () => {
  const r = await runCli(fake.url, 'show', 'cluster');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^NODE\s+TYPE\s+STATUS\s+PUBLIC URL\s+FLAGS$/);
  assert.match(r.out, /^t\[t1\]\s+target\s+online\s/m);
  assert.match(r.out, /^t\[t2\]\s+target\s+maintenance\s/m);
  assert.match(r.out, /^t\[t3\]\s+target\s+decommissioning\s/m);
});
