import { startObjCluster, createBucket, putObj } from '../support/obj-helpers.ts';
import { http } from '../support/cluster-helpers.ts';
const c = await startObjCluster({ targets: 2, mountpathsPerTarget: 2 });
try {
  await createBucket(c.proxyUrl, 'b');
  for (let i = 0; i < 50; i++) await putObj(c.proxyUrl, 'b', `o${i}`, Buffer.from(`o${i}`));
  await c.cluster.addTarget();
  for (let k = 0; k < 8; k++) {
    await new Promise((r) => setTimeout(r, 1000));
    const all = await http(`${c.proxyUrl}/v1/cluster?what=status_all`, { method: 'GET', body: { kind: 'rebalance', show_active: false } });
    const q = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { method: 'GET', body: { kind: 'rebalance', show_active: false } });
    console.log(k, all.status, all.text.slice(0, 400));
    if (k === 7) console.log(q.text.slice(0, 1500));
  }
} finally { await c.close(); }
