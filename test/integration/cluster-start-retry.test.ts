// A port probed free can be taken by another process before the node binds it (clusters starting in
// parallel): startLocalCluster then starts again on fresh ports instead of failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster } from '../../deploy/local/cluster.ts';
import { makeTempDir, removeDir } from '../support/cluster-helpers.ts';

async function freePortsFromOs(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    const srv = http.createServer();
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    srv.close();
    await once(srv, 'close');
    if (!out.includes(port)) out.push(port);
  }
  return out;
}

// The squatter answers like another cluster's healthy node: 200 to /v1/health, its own daemon id.
const SQUATTER_ID = 'p-another-cluster';

test('a node that loses its port to another process (EADDRINUSE): the cluster starts on fresh ports', async () => {
  const squatter = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(req.url?.startsWith('/v1/daemon') ? JSON.stringify({ daemon_id: SQUATTER_ID }) : '{}');
  });
  squatter.listen(0, '127.0.0.1');
  await once(squatter, 'listening');
  const taken = (squatter.address() as { port: number }).port;
  const picks: number[][] = [];
  const dir = await makeTempDir();
  try {
    const cluster = await startLocalCluster({
      dir,
      proxies: 1,
      targets: 1,
      pickPorts: async (n) => {
        const fresh = await freePortsFromOs(n);
        const ports = picks.length === 0 ? [taken, ...fresh.filter((p) => p !== taken).slice(0, n - 1)] : fresh.filter((p) => p !== taken);
        picks.push(ports);
        return ports;
      },
    });
    try {
      assert.equal(picks.length, 2, 'one failed attempt, then one that started');
      assert.equal(picks[0]![0], taken, 'the first attempt gave the proxy the taken port');
      assert.equal(cluster.proxyUrl, `http://127.0.0.1:${picks[1]![0]}`);
      const health = await fetch(`${cluster.proxyUrl}/v1/health`);
      assert.equal(health.status, 200);
      assert.equal(cluster.nodes.length, 2);
      assert.ok(!existsSync(join(dir, `p${taken}`)), 'the failed attempt left no node dir behind');
    } finally {
      await cluster.stop();
    }
  } finally {
    squatter.close();
    await removeDir(dir);
  }
});
