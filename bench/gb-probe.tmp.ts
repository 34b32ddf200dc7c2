import os from 'node:os';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { Cleanup } from './cleanup.ts';
import { startStoppableCluster } from './cluster.ts';
import { HttpClient } from './http-client.ts';
import { createBucket } from './preload.ts';
import { getBatch } from './get-batch.ts';
import { randomBytes } from 'node:crypto';
const cleanup = new Cleanup();
const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'm4-probe-'));
try {
  const c = (await startStoppableCluster(path.join(tmp, 'c'), cleanup, [], Number(process.env.T ?? 3))).cluster;
  const client = new HttpClient({ maxSockets: 16 });
  const base = c.proxyUrl.replace(/\/+$/, '');
  await createBucket(client, base, 'b');
  const size = Number(process.argv[2] ?? 1048576);
  const n = Number(process.argv[3] ?? 4);
  const body = randomBytes(size);
  for (let i = 0; i < n; i++) await client.send('PUT', `${base}/v1/objects/b/o${i}`, { body, expectContinue: true });
  let r = await getBatch(base, "b", Array.from({ length: n }, (_, i) => `o${i}`));
  r = await getBatch(base, "b", Array.from({ length: n }, (_, i) => `o${i}`));
  console.log(JSON.stringify(r));
  client.close();
  const { execSync } = await import('node:child_process');
  console.log(execSync(`grep -rh -i "moss\\|warn\\|error" ${tmp}/c | tail -30 || true`).toString());
} finally {
  await cleanup.runAll();
  await fsp.rm(tmp, { recursive: true, force: true });
}
