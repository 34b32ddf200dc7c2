// `npm start`: a local cluster (1 proxy + 3 targets, 2 mountpaths each) under ./.shoal, in the
// foreground; Ctrl-C stops every node cleanly. Data survives restarts (same ids and ports).
import { startLocalCluster } from './cluster.ts';

const dir = process.env.SHOAL_DIR ?? '.shoal';
const basePort = Number(process.env.SHOAL_PORT ?? 8080);

const cluster = await startLocalCluster({ dir, basePort, targets: 3, mountpathsPerTarget: 2 });
console.log(`Shoal is up: 1 proxy + 3 targets, data under ${cluster.dir}`);
for (const n of cluster.nodes) console.log(`  ${n.role.padEnd(6)} ${n.id.padEnd(8)} ${n.publicUrl}  pid ${n.pid}`);
console.log(`\nEndpoint: ${cluster.proxyUrl}\n`);
console.log(`  export AIS_ENDPOINT=${cluster.proxyUrl}`);
console.log('  alias shoal="node $PWD/cli/bin.js"');
console.log('  shoal bucket create ais://demo && shoal put README.md ais://demo/readme && shoal ls ais://demo');
console.log('\nCtrl-C stops all nodes.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping all nodes...');
  await cluster.stop();
  console.log('stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// If a node dies, say so (the rest keep running).
for (const n of cluster.nodes) {
  n.process.on('exit', (code, signal) => {
    if (!stopping) console.error(`${n.role} ${n.id} exited (${signal ?? code}); see ${n.dir}/node.log`);
  });
}
