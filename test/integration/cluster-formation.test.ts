// Cluster formation on real processes: Smap shape and metasync, health, keepalive eviction and
// self-join, a second proxy, and a target that cannot reach its primary (503 until ready).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCluster, type LocalCluster } from '../../deploy/local/cluster.ts';
import { Hrw } from '../../nodes/cluster/hrw.ts';
import { heapFlagsMissing } from '../../nodes/heap-flags.ts';
import type { Smap, Snode } from '../../protocol/smap.ts';
import { assertAisError, createBucket, getJson, http, makeTempDir, removeDir, sleep, versionOf, waitFor } from '../support/cluster-helpers.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KEEPALIVE_INTERVAL_MS = 300;
const KEEPALIVE_FACTOR = 2;
const EVICTION_TIMEOUT_MS = 30_000;
const LONE_TARGET_ATTEMPTS_MAX = 3;
const LONE_TARGET_ANSWER_TIMEOUT_MS = 30_000;
const LONE_TARGET_EXIT_TIMEOUT_MS = 10_000;

const smapOf = (url: string, scope: 'cluster' | 'daemon' = 'cluster') => getJson<Smap>(`${url}/v1/${scope}?what=smap`);

// The scheme is checked on its own (see the intra-cluster direct_url test) so one deviation does not hide the rest.
function assertNet(net: unknown, where: string): { node_ip_addr: string; daemon_port: string; direct_url: string } {
  assert.ok(net && typeof net === 'object', `${where} is an object`);
  const n = net as Record<string, unknown>;
  assert.equal(n.node_ip_addr, '127.0.0.1', `${where}.node_ip_addr`);
  assert.equal(typeof n.daemon_port, 'string', `${where}.daemon_port is a string`);
  assert.match(n.daemon_port as string, /^[0-9]+$/);
  assert.match(n.direct_url as string, new RegExp(`^[a-z]+://127\\.0\\.0\\.1:${n.daemon_port as string}$`), `${where}.direct_url`);
  return n as { node_ip_addr: string; daemon_port: string; direct_url: string };
}

function assertSnode(hrw: Hrw, id: string, sn: Snode, type: 'proxy' | 'target'): void {
  assert.equal(sn.daemon_id, id);
  assert.equal(sn.daemon_type, type);
  const pub = assertNet(sn.public_net, `${id}.public_net`);
  const ctrl = assertNet(sn.intra_control_net, `${id}.intra_control_net`);
  const data = assertNet(sn.intra_data_net, `${id}.intra_data_net`);
  assert.equal(new Set([pub.daemon_port, ctrl.daemon_port, data.daemon_port]).size, 3, 'three networks, three ports');
  assert.equal(typeof sn.flags, 'number');
  assert.equal(typeof sn.id_digest, 'string', 'id_digest is a u64 decimal string');
  assert.match(sn.id_digest, /^[0-9]+$/);
  assert.equal(BigInt(sn.id_digest), hrw.digest(id), 'id_digest = xxhash64(daemon_id, MLCG32)');
}

describe('1 proxy + 3 targets, fast keepalive', () => {
  let dir: string | undefined;
  let cluster: LocalCluster;
  let hrw: Hrw;

  before(async () => {
    dir = await makeTempDir();
    hrw = await Hrw.create();
    cluster = await startLocalCluster({ dir, proxies: 1, targets: 3, keepaliveIntervalMs: KEEPALIVE_INTERVAL_MS, keepaliveFactor: KEEPALIVE_FACTOR });
  });
  after(async () => {
    await cluster?.stop();
    await removeDir(dir);
  });

  const targets = () => cluster.nodes.filter((n) => n.role === 'target');
  const primary = () => cluster.nodes[0]!;

  test('GET /v1/cluster?what=smap has the AIS Smap shape', async () => {
    const smap = await smapOf(cluster.proxyUrl);
    assert.deepEqual(Object.keys(smap).filter((k) => ['pmap', 'tmap', 'proxy_si', 'uuid', 'creation_time', 'version'].includes(k)).sort(),
      ['creation_time', 'pmap', 'proxy_si', 'tmap', 'uuid', 'version']);
    assert.ok(versionOf(smap) > 0);
    assert.equal(typeof smap.uuid, 'string');
    assert.ok(smap.uuid.length > 0, 'uuid is set');
    assert.equal(typeof smap.creation_time, 'string');
    assert.ok(smap.creation_time.length > 0, 'creation_time is set');

    assert.deepEqual(Object.keys(smap.pmap), [primary().id]);
    assert.deepEqual(Object.keys(smap.tmap).sort(), targets().map((t) => t.id).sort());
    for (const [id, sn] of Object.entries(smap.pmap)) assertSnode(hrw, id, sn, 'proxy');
    for (const [id, sn] of Object.entries(smap.tmap)) assertSnode(hrw, id, sn, 'target');
    assert.deepEqual(smap.proxy_si, smap.pmap[primary().id], 'proxy_si is the primary');
    for (const n of cluster.nodes) {
      const sn = n.role === 'proxy' ? smap.pmap[n.id] : smap.tmap[n.id];
      assert.equal(sn?.public_net.direct_url, n.publicUrl, `${n.id} public URL`);
    }
  });

  test('every node process runs with the V8 heap flags (nodes/heap-flags.ts)', async () => {
    for (const n of cluster.nodes) {
      const argv = (await readFile(`/proc/${n.pid}/cmdline`, 'utf8')).split('\0');
      assert.deepEqual(heapFlagsMissing(argv), [], `${n.id} command line: ${argv.join(' ')}`);
    }
  });

  test('every network direct_url is http://<ip>:<port>, as AIS NetInfo (intra-control and intra-data too)', async () => {
    const smap = await smapOf(cluster.proxyUrl);
    for (const sn of [...Object.values(smap.pmap), ...Object.values(smap.tmap)]) {
      for (const net of ['public_net', 'intra_control_net', 'intra_data_net'] as const) {
        assert.equal(sn[net].direct_url, `http://127.0.0.1:${sn[net].daemon_port}`, `${sn.daemon_id}.${net}.direct_url`);
      }
    }
  });

  test('GET /v1/daemon?what=smap on the proxy and on every target converges to the primary version', async () => {
    const ref = await smapOf(cluster.proxyUrl);
    for (const n of cluster.nodes) {
      const own = await waitFor(`${n.id} Smap v${ref.version}`, async () => {
        const s = await smapOf(n.publicUrl, 'daemon');
        return versionOf(s) >= versionOf(ref) ? s : undefined;
      });
      const cur = await smapOf(cluster.proxyUrl);
      assert.equal(own.version, cur.version, `${n.id} has the primary's Smap version`);
      assert.equal(own.uuid, ref.uuid, `${n.id} has the cluster uuid`);
      assert.deepEqual(Object.keys(own.tmap).sort(), Object.keys(ref.tmap).sort());
      assert.deepEqual(Object.keys(own.pmap), Object.keys(ref.pmap));
      assert.equal(own.proxy_si.daemon_id, primary().id);
    }
  });

  test('GET /v1/health: 200 with ais-node-uptime on every node, ais-cluster-uptime on the primary', async () => {
    for (const n of cluster.nodes) {
      const r = await http(`${n.publicUrl}/v1/health`);
      assert.equal(r.status, 200, `${n.id} health: ${r.status} ${r.text}`);
      const up = r.headers.get('ais-node-uptime');
      assert.ok(up !== null, `${n.id} sends ais-node-uptime`);
      assert.match(up, /^[0-9]+$/, 'uptime in ns');
      assert.ok(BigInt(up) > 0n);
    }
    const r = await http(`${primary().publicUrl}/v1/health`);
    const cu = r.headers.get('ais-cluster-uptime');
    assert.ok(cu !== null, 'primary sends ais-cluster-uptime');
    assert.match(cu, /^[0-9]+$/);
  });

  test('keepalive drops a SIGKILLed target; restarted, it self-joins; Smap versions only grow', async () => {
    const observed: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          observed.push(versionOf(await smapOf(cluster.proxyUrl)));
        } catch {
          // primary busy: skip one sample
        }
        await sleep(50);
      }
    })();
    try {
      const v0 = versionOf(await smapOf(cluster.proxyUrl));
      const victim = targets()[1]!;
      await cluster.kill(victim.id, 'SIGKILL');
      const dropped = await cluster.waitForSmap((s) => s.tmap[victim.id] === undefined, EVICTION_TIMEOUT_MS);
      assert.ok(versionOf(dropped) > v0, `eviction bumps the version (${v0} → ${dropped.version})`);
      assert.equal(Object.keys(dropped.tmap).length, 2);

      await cluster.restart(victim.id);
      const back = await cluster.waitForSmap((s) => s.tmap[victim.id] !== undefined && Object.keys(s.tmap).length === 3, EVICTION_TIMEOUT_MS);
      assert.ok(versionOf(back) > versionOf(dropped), `re-join bumps the version (${dropped.version} → ${back.version})`);

      const node = cluster.nodes.find((n) => n.id === victim.id)!;
      await waitFor(`${victim.id} has the primary's Smap`, async () => {
        const [own, cur] = await Promise.all([smapOf(node.publicUrl, 'daemon'), smapOf(cluster.proxyUrl)]);
        return own.version === cur.version && own.tmap[victim.id] !== undefined ? true : undefined;
      });
      const [own, cur] = await Promise.all([smapOf(node.publicUrl, 'daemon'), smapOf(cluster.proxyUrl)]);
      assert.equal(own.version, cur.version);
    } finally {
      polling = false;
      await poller;
    }
    assert.ok(observed.length > 0);
    for (let i = 1; i < observed.length; i++) assert.ok(observed[i]! >= observed[i - 1]!, `Smap version went down: ${observed[i - 1]} → ${observed[i]}`);
  });
});

describe('2 proxies + 2 targets', () => {
  let dir: string | undefined;
  let cluster: LocalCluster;

  before(async () => {
    dir = await makeTempDir();
    cluster = await startLocalCluster({ dir, proxies: 2, targets: 2 });
  });
  after(async () => {
    await cluster?.stop();
    await removeDir(dir);
  });

  const secondary = () => cluster.nodes.filter((n) => n.role === 'proxy')[1]!;

  test('the second proxy joins: 2 proxies in the Smap, same version on the non-primary', async () => {
    const smap = await smapOf(cluster.proxyUrl);
    assert.deepEqual(Object.keys(smap.pmap).sort(), cluster.nodes.filter((n) => n.role === 'proxy').map((n) => n.id).sort());
    assert.equal(smap.proxy_si.daemon_id, cluster.nodes[0]!.id, 'the first proxy stays primary');
    await waitFor('the non-primary has the primary Smap', async () => {
      const [a, b] = await Promise.all([smapOf(cluster.proxyUrl), smapOf(secondary().publicUrl)]);
      return a.version === b.version ? true : undefined;
    });
    const [a, b] = await Promise.all([smapOf(cluster.proxyUrl), smapOf(secondary().publicUrl)]);
    assert.equal(b.version, a.version);
    assert.deepEqual(Object.keys(b.pmap).sort(), Object.keys(a.pmap).sort());
    assert.deepEqual(Object.keys(b.tmap).sort(), Object.keys(a.tmap).sort());
    const h = await http(`${secondary().publicUrl}/v1/health`);
    assert.equal(h.status, 200);
  });

  test('a bucket created through the non-primary proxy is visible on both proxies', async () => {
    const bmd0 = versionOf(await getJson<{ version: string }>(`${cluster.proxyUrl}/v1/cluster?what=bmd`));
    await createBucket(secondary().publicUrl, 'via-secondary');
    for (const p of cluster.nodes.filter((n) => n.role === 'proxy')) {
      await waitFor(`bucket on ${p.id}`, async () => {
        const list = await getJson<{ name: string; provider: string }[]>(`${p.publicUrl}/v1/buckets`);
        return list.some((b) => b.name === 'via-secondary' && b.provider === 'ais') ? true : undefined;
      });
      const head = await http(`${p.publicUrl}/v1/buckets/via-secondary`, { method: 'HEAD' });
      assert.equal(head.status, 200, `HEAD on ${p.id}: ${head.headers.get('hdr-error')}`);
      assert.ok(head.headers.get('ais-bucket-props'));
    }
    const bmd1 = versionOf(await getJson<{ version: string }>(`${cluster.proxyUrl}/v1/cluster?what=bmd`));
    assert.ok(bmd1 > bmd0, 'the primary made the BMD change');
  });
});

describe('a target whose primary is unreachable', () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;

  before(async () => {
    dir = await makeTempDir();
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await once(child, 'exit');
    }
    await removeDir(dir);
  });

  test('GET /v1/health answers 503 ErrNotReady until it joins', async () => {
    // Ports are picked free and then released, so a cluster of another test file running in
    // parallel may take one first: then the lone target cannot bind (it exits) and we retry with
    // new ports; answers from any other process are ignored (they do not name our node).
    let port = 0;
    let r: Awaited<ReturnType<typeof http>> | undefined;
    for (let attempt = 1; attempt <= LONE_TARGET_ATTEMPTS_MAX && r === undefined; attempt++) {
      const [p, portCtrl, portData, closedPort] = await freePorts(4);
      port = p!;
      const id = `t${port}`;
      const nodeDir = join(dir!, id);
      await mkdir(nodeDir, { recursive: true });
      const configPath = join(nodeDir, 'config.json');
      const config = {
        daemon_id: id,
        confdir: join(nodeDir, 'conf'),
        log_file: join(nodeDir, 'node.log'),
        log_level: 'info',
        host_net: { hostname: '127.0.0.1', port, port_intra_control: portCtrl, port_intra_data: portData },
        fspaths: { [join(nodeDir, 'mp1')]: '' },
        proxy: { primary_url: `http://127.0.0.1:${closedPort}` },
        keepalive: { interval_ms: 1000, factor: 3 },
        http_adapter: 'node',
      };
      await writeFile(configPath, JSON.stringify(config, null, 2));
      child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'nodes/main.ts'), '--role', 'target', '--config', configPath], {
        cwd: REPO_ROOT,
        stdio: 'ignore',
      });
      const proc = child;
      // The node must answer on its public port while it keeps trying to join.
      r = await waitFor(`an HTTP answer from the lone target ${id} on :${port}`, async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return null; // could not bind: next attempt
        const res = await http(`http://127.0.0.1:${port}/v1/health`).catch(() => undefined);
        if (res === undefined) return undefined;
        try {
          return (JSON.parse(res.text) as { node?: string }).node === id ? res : undefined;
        } catch {
          return undefined; // not our node answering
        }
      }, LONE_TARGET_ANSWER_TIMEOUT_MS).then((x) => x ?? undefined);
    }
    assert.ok(r, `the lone target never answered in ${LONE_TARGET_ATTEMPTS_MAX} attempts`);
    assertAisError(r, 503, 'ErrNotReady');
    // still not ready a moment later: it cannot join a closed port
    const again = await http(`http://127.0.0.1:${port}/v1/health`);
    assertAisError(again, 503, 'ErrNotReady');

    const proc = child!;
    process.kill(proc.pid!, 'SIGKILL');
    const exited = await Promise.race([once(proc, 'exit').then(() => true), sleep(LONE_TARGET_EXIT_TIMEOUT_MS).then(() => false)]);
    assert.ok(exited, 'the lone target exits on SIGKILL');
  });
});

async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) {
    const srv = createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    out.add((srv.address() as { port: number }).port);
    srv.close();
    await once(srv, 'close');
  }
  return [...out];
}
