// A local cluster of real node processes on loopback: what `npm start`, the integration tests and the
// benchmarks use. Each node is `node --import tsx nodes/main.ts --role R --config FILE`, its data and
// logs under `dir/<node id>/`.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import type { NodeS3Config } from '../../nodes/config.ts';
import { NODE_HEAP_FLAGS } from '../../nodes/heap-flags.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NODE_MAIN = join(REPO_ROOT, 'nodes/main.ts');
export const CLUSTER_READY_TIMEOUT_MS = 60_000;
export const NODE_STOP_TIMEOUT_MS = 15_000;
const POLL_MS = 100;
const PORT_PICK_TRIES_MAX = 100;
export const UV_THREADPOOL_SIZE = 16;

export interface LocalClusterOptions {
  dir: string;
  proxies?: number;
  targets?: number;
  mountpathsPerTarget?: number;
  /** Cluster features at creation (names, comma-separated). */
  features?: string[];
  httpAdapter?: 'node' | 'uws';
  /** Fixed ports: proxy i gets basePort+i, targets follow; +1000 intra-control, +2000 intra-data. Default: free ports. */
  basePort?: number;
  keepaliveIntervalMs?: number;
  keepaliveFactor?: number;
  logLevel?: string;
  /** Allow test-only job kinds (integration tests of job failure). */
  testJobs?: boolean;
  /** S3 settings written into every node's own config (SigV4 auth and its access keys). */
  s3?: NodeS3Config;
  /** Picks `n` distinct free ports for a start attempt (default: random probed ports; tests of the retry). */
  pickPorts?: (n: number) => Promise<number[]>;
}

export interface LocalNode {
  id: string;
  role: 'proxy' | 'target';
  pid: number;
  publicUrl: string;
  configPath: string;
  dir: string;
  process: ChildProcess;
}

export interface LocalCluster {
  proxyUrl: string;
  nodes: LocalNode[];
  dir: string;
  /** Stops every node (SIGTERM, then SIGKILL after a timeout). */
  stop(): Promise<void>;
  /** Sends a signal to one node and waits for it to exit. */
  kill(id: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again with the same config (same id, ports, data). */
  restart(id: string): Promise<void>;
  /** Polls the primary's Smap until `pred` holds. */
  waitForSmap(pred: (smap: SmapView) => boolean, timeoutMs?: number): Promise<SmapView>;
  /**
   * Starts one more target (free ports, its own dir under `dir`); it self-joins and this resolves once
   * it is in the Smap. With `standby` it does not join: it resolves once the node listens, and the
   * node waits for `join-by-admin`. The node is in `nodes`, so kill/restart/stop cover it.
   */
  addTarget(opts?: AddTargetOptions): Promise<LocalNode>;
}

export interface AddTargetOptions {
  /** Node config `"standby": true`: wait to be added by `join-by-admin` instead of self-joining. */
  standby?: boolean;
  /** Default: the cluster's `mountpathsPerTarget`. */
  mountpaths?: number;
}

interface NodeSpec {
  id: string;
  role: 'proxy' | 'target';
  port: number;
  configPath: string;
  dir: string;
}

export interface SmapView {
  version: string;
  pmap: Record<string, unknown>;
  tmap: Record<string, unknown>;
}

/** `SHOAL_HTTP_ADAPTER=uws` runs every node's public API on the uWebSockets.js adapter. */
function httpAdapterFromEnv(): 'node' | 'uws' {
  const v = process.env.SHOAL_HTTP_ADAPTER;
  if (v === undefined || v === '' || v === 'node') return 'node';
  if (v === 'uws') return 'uws';
  throw new Error(`SHOAL_HTTP_ADAPTER must be "node" or "uws", not "${v}"`);
}

/**
 * Node ports come from below the kernel's ephemeral range (32768+ on Linux): a port the OS hands
 * out for `listen(0)` is also what it hands out as the local port of outgoing connections, and
 * with several clusters running (tests in parallel) one of those could take it before the node binds.
 */
const PORT_RANGE_LOW = 20_000;
const PORT_RANGE_HIGH = 32_000;
const PORT_PROBE_TRIES = 64;

async function canBind(port: number): Promise<boolean> {
  const srv = createServer();
  try {
    srv.listen(port, '127.0.0.1');
    await once(srv, 'listening');
  } catch {
    return false;
  }
  srv.close();
  await once(srv, 'close');
  return true;
}

async function freePort(): Promise<number> {
  for (let i = 0; i < PORT_PROBE_TRIES; i++) {
    const port = PORT_RANGE_LOW + Math.floor(Math.random() * (PORT_RANGE_HIGH - PORT_RANGE_LOW));
    if (await canBind(port)) return port;
  }
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Distinct free ports (checked together so none repeats). */
async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

/** The daemon id of whatever node answers at `url`. */
async function whoIs(url: string): Promise<string | undefined> {
  const snode = (await getJson(`${url}/v1/daemon?what=snode`)) as { daemon_id?: string };
  return snode.daemon_id;
}

/** Extra node flags for every spawned node, e.g. `SHOAL_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p'` (profiling). */
function nodeFlags(): string[] {
  return (process.env.SHOAL_NODE_FLAGS ?? '').split(/\s+/).filter((f) => f !== '');
}

/** Start attempts when a node lost its port to another process between the probe and its bind. */
export const CLUSTER_START_ATTEMPTS_MAX = 3;

/** A node that exited during start-up: its id, and the tail of what it printed. */
class NodeStartError extends Error {
  constructor(readonly nodeId: string, readonly output: string, readonly nodeDir: string) {
    super(`node ${nodeId} exited during start-up (see ${join(nodeDir, 'stdout.log')} and node.log): ${output.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

function lostPort(e: unknown): boolean {
  return e instanceof NodeStartError && e.output.includes('EADDRINUSE');
}

function outputTail(nodeDir: string): string {
  try {
    return readFileSync(join(nodeDir, 'stdout.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/**
 * Starts the cluster. Free ports are probed and then bound by the node processes a moment later, so
 * with several clusters starting at once (tests in parallel) another one may take a port in between:
 * such a start (a node exits with EADDRINUSE) is retried on fresh ports. Fixed ports are not retried.
 */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalClusterOnce(opts);
    } catch (e) {
      if (!lostPort(e) || opts.basePort !== undefined || attempt >= CLUSTER_START_ATTEMPTS_MAX) throw e;
    }
  }
}

async function startLocalClusterOnce(opts: LocalClusterOptions): Promise<LocalCluster> {
  const dir = resolve(opts.dir);
  const nProxies = opts.proxies ?? 1;
  const nTargets = opts.targets ?? 3;
  const nMpaths = opts.mountpathsPerTarget ?? 2;
  const total = nProxies + nTargets;
  let ports: number[];
  if (opts.basePort !== undefined) {
    const b = opts.basePort;
    ports = [];
    for (let i = 0; i < total; i++) ports.push(b + i, b + 1000 + i, b + 2000 + i);
  } else {
    ports = await (opts.pickPorts ?? freePorts)(total * 3);
  }
  const specs: NodeSpec[] = [];
  const usedPorts = new Set(ports);
  const primaryUrl = `http://127.0.0.1:${ports[0]!}`;
  const writeSpec = async (role: 'proxy' | 'target', [port, portCtrl, portData]: [number, number, number], mpaths: number, standby: boolean): Promise<NodeSpec> => {
    const id = `${role === 'proxy' ? 'p' : 't'}${port}`;
    const nodeDir = join(dir, id);
    const fspaths: Record<string, string> = {};
    if (role === 'target') for (let m = 1; m <= mpaths; m++) fspaths[join(nodeDir, `mp${m}`)] = '';
    const config = {
      daemon_id: id,
      confdir: join(nodeDir, 'conf'),
      log_file: join(nodeDir, 'node.log'),
      log_level: opts.logLevel ?? 'info',
      host_net: { hostname: '127.0.0.1', port, port_intra_control: portCtrl, port_intra_data: portData },
      ...(role === 'target' ? { fspaths } : {}),
      proxy: { primary_url: primaryUrl },
      ...(opts.features?.length ? { features: opts.features.join(',') } : {}),
      keepalive: { interval_ms: opts.keepaliveIntervalMs ?? 1000, factor: opts.keepaliveFactor ?? 3 },
      http_adapter: opts.httpAdapter ?? httpAdapterFromEnv(),
      ...(opts.testJobs ? { test_jobs: true } : {}),
      ...(opts.s3 ? { s3: opts.s3 } : {}),
      // does not self-join: waits for `join-by-admin` (only written when asked, so older configs stay valid)
      ...(standby ? { standby: true } : {}),
    };
    await mkdir(nodeDir, { recursive: true });
    const configPath = join(nodeDir, 'config.json');
    await writeFile(configPath, JSON.stringify(config, null, 2));
    return { id, role, port, configPath, dir: nodeDir };
  };
  for (let i = 0; i < total; i++) {
    const role = i < nProxies ? 'proxy' : 'target';
    specs.push(await writeSpec(role, [ports[i * 3]!, ports[i * 3 + 1]!, ports[i * 3 + 2]!], nMpaths, false));
  }

  const nodes: LocalNode[] = [];
  const spawnNode = (s: NodeSpec): LocalNode => {
    const out = openSync(join(s.dir, 'stdout.log'), 'a');
    const child = spawn(process.execPath, [...NODE_HEAP_FLAGS, ...nodeFlags(), '--import', 'tsx', NODE_MAIN, '--role', s.role, '--config', s.configPath], {
      cwd: REPO_ROOT,
      stdio: ['ignore', out, out],
      // file I/O runs on libuv's pool: 4 threads serialize small-object GET/PUT under load
      env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(UV_THREADPOOL_SIZE) },
    });
    closeSync(out);
    return { id: s.id, role: s.role, pid: child.pid!, publicUrl: `http://127.0.0.1:${s.port}`, configPath: s.configPath, dir: s.dir, process: child };
  };
  for (const s of specs) nodes.push(spawnNode(s));

  const exited = (n: LocalNode) => n.process.exitCode !== null || n.process.signalCode !== null;
  const waitExit = async (n: LocalNode, timeoutMs: number): Promise<boolean> => {
    if (exited(n)) return true;
    const done = once(n.process, 'exit').then(() => true);
    return Promise.race([done, sleep(timeoutMs).then(() => false)]);
  };
  const stopNode = async (n: LocalNode, signal: NodeJS.Signals = 'SIGTERM') => {
    if (exited(n)) return;
    n.process.kill(signal);
    if (!(await waitExit(n, NODE_STOP_TIMEOUT_MS))) {
      n.process.kill('SIGKILL');
      await waitExit(n, NODE_STOP_TIMEOUT_MS);
    }
  };

  const proxyUrl = nodes[0]!.publicUrl;
  const waitForSmap = async (pred: (s: SmapView) => boolean, timeoutMs = CLUSTER_READY_TIMEOUT_MS): Promise<SmapView> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const smap = (await getJson(`${proxyUrl}/v1/cluster?what=smap`)) as SmapView;
        if (pred(smap)) return smap;
        last = smap.version;
      } catch (e) {
        last = (e as Error).message;
      }
      await sleep(POLL_MS);
    }
    throw new Error(`cluster map condition not met in ${timeoutMs} ms (last: ${String(last)})`);
  };
  const waitHealthy = async (n: LocalNode, timeoutMs = CLUSTER_READY_TIMEOUT_MS) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited(n)) throw new NodeStartError(n.id, outputTail(n.dir), n.dir);
      try {
        const res = await fetch(`${n.publicUrl}/v1/health`);
        // another cluster's node on a port we lost answers too: healthy only if it is this node
        if (res.status === 200 && (await whoIs(n.publicUrl)) === n.id) return;
      } catch {
        // not listening yet
      }
      await sleep(POLL_MS);
    }
    throw new Error(`node ${n.id} not healthy in ${timeoutMs} ms`);
  };

  /** A standby node answers 503 until it is added; any HTTP reply means it is up and listening. */
  const waitListening = async (n: LocalNode, timeoutMs = CLUSTER_READY_TIMEOUT_MS) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited(n)) throw new NodeStartError(n.id, outputTail(n.dir), n.dir);
      try {
        await (await fetch(`${n.publicUrl}/v1/health`)).arrayBuffer();
        return;
      } catch {
        // not listening yet
      }
      await sleep(POLL_MS);
    }
    throw new Error(`node ${n.id} not listening in ${timeoutMs} ms`);
  };

  const addTarget = async (add: AddTargetOptions = {}): Promise<LocalNode> => {
    const picked: number[] = [];
    // a stopped node's ports are free to the OS but not to us: restart() will bind them again
    for (let tries = 0; picked.length < 3; tries++) {
      if (tries >= PORT_PICK_TRIES_MAX) throw new Error(`no 3 free ports in ${PORT_PICK_TRIES_MAX} tries`);
      const p = await freePort();
      if (!usedPorts.has(p)) {
        usedPorts.add(p);
        picked.push(p);
      }
    }
    const [port, portCtrl, portData] = picked;
    const standby = add.standby === true;
    const spec = await writeSpec('target', [port!, portCtrl!, portData!], add.mountpaths ?? nMpaths, standby);
    specs.push(spec);
    const n = spawnNode(spec);
    nodes.push(n);
    if (standby) {
      await waitListening(n);
    } else {
      await waitHealthy(n);
      await waitForSmap((smap) => smap.tmap[spec.id] !== undefined);
    }
    return n;
  };

  const cluster: LocalCluster = {
    proxyUrl,
    nodes,
    dir,
    stop: async () => {
      // targets first, so the primary does not spend the shutdown evicting them
      await Promise.all(nodes.filter((n) => n.role === 'target').map((n) => stopNode(n)));
      await Promise.all(nodes.filter((n) => n.role === 'proxy').map((n) => stopNode(n)));
    },
    kill: async (id, signal = 'SIGKILL') => {
      const n = nodes.find((x) => x.id === id);
      if (!n) throw new Error(`no node ${id}`);
      await stopNode(n, signal);
    },
    restart: async (id) => {
      const i = nodes.findIndex((x) => x.id === id);
      if (i < 0) throw new Error(`no node ${id}`);
      if (!exited(nodes[i]!)) throw new Error(`node ${id} is still running`);
      const n = spawnNode(specs[i]!);
      nodes[i] = n;
      await waitHealthy(n);
    },
    waitForSmap,
    addTarget,
  };
  try {
    for (const n of nodes) await waitHealthy(n);
    await waitForSmap((s) => Object.keys(s.pmap).length === nProxies && Object.keys(s.tmap).length === nTargets);
  } catch (e) {
    await cluster.stop();
    // a start that will be retried leaves no node dirs behind (node ids are port-derived: the next attempt has others)
    if (lostPort(e) && opts.basePort === undefined) for (const sp of specs) rmSync(sp.dir, { recursive: true, force: true });
    throw e;
  }
  return cluster;
}
