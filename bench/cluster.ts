// The bench's only view of the cluster: the lead's local harness (deploy/local/cluster.ts), loaded
// at run time, and each node's peak RSS read from /proc. Everything else goes over the public API.
import fsp from 'node:fs/promises';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { killPid, type Cleanup } from './cleanup.ts';

export const CLUSTER_TARGETS = 3;
export const CLUSTER_MOUNTPATHS_PER_TARGET = 2;

export interface LocalClusterNode {
  id: string;
  role: 'proxy' | 'target';
  pid: number;
  publicUrl: string;
}

export interface LocalCluster {
  proxyUrl: string;
  nodes: LocalClusterNode[];
  stop(): Promise<void>;
  /** One more target, pushed onto `nodes`; `standby` waits for join-by-admin (`--op rebalance`). */
  addTarget(opts?: { standby?: boolean }): Promise<LocalClusterNode>;
}

interface ClusterModule {
  startLocalCluster(opts: { dir: string; targets?: number; mountpathsPerTarget?: number; features?: string[] }): Promise<LocalCluster>;
}

const HARNESS_PATH = fileURLToPath(new URL('../deploy/local/cluster.ts', import.meta.url));

export async function startCluster(dir: string, cleanup: Cleanup, features: string[] = []): Promise<LocalCluster> {
  return (await startStoppableCluster(dir, cleanup, features, CLUSTER_TARGETS)).cluster;
}

/** As startCluster, with a target count and a `stop` that ends it now (a bench that runs several clusters). */
export async function startStoppableCluster(dir: string, cleanup: Cleanup, features: string[], targets: number): Promise<{ cluster: LocalCluster; stop: () => Promise<void> }> {
  try {
    await fsp.access(HARNESS_PATH);
  } catch {
    throw new Error(`${HARNESS_PATH} does not exist yet: pass --endpoint URL to bench a running cluster`);
  }
  // A computed specifier: the bench type-checks even before the harness exists.
  const mod = (await import(pathToFileURL(HARNESS_PATH).href)) as Partial<ClusterModule>;
  if (typeof mod.startLocalCluster !== 'function') throw new Error(`${HARNESS_PATH} has no startLocalCluster()`);
  const cluster = await mod.startLocalCluster({ dir, targets, mountpathsPerTarget: CLUSTER_MOUNTPATHS_PER_TARGET, features });
  const stop = cleanup.add('local cluster', async () => {
    await cluster.stop();
    // Belt and braces: whatever survived stop() is killed by its PID.
    for (const n of cluster.nodes) await killPid(n.pid);
  });
  return { cluster, stop };
}

/** Peak resident set (VmHWM) of a live process in bytes, or undefined when it cannot be read. */
export async function peakRssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await fsp.readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface NodeRss {
  id: string;
  role: string;
  pid: number;
  peakRssMiB: number | undefined;
}

export async function nodesPeakRss(nodes: readonly LocalClusterNode[]): Promise<NodeRss[]> {
  const out: NodeRss[] = [];
  for (const n of nodes) {
    const b = await peakRssBytes(n.pid);
    out.push({ id: n.id, role: n.role, pid: n.pid, peakRssMiB: b === undefined ? undefined : b / 1024 ** 2 });
  }
  return out;
}
