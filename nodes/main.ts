// `shoal-node --role proxy|target --config FILE`: the one executable every node runs (systemd's
// ExecStart). This is the composition root: it binds the real Env and starts the node's tree.
import { parseArgs } from 'node:util';
import { realDisk } from '../runtime/env/real/disk.ts';
import { realClock } from '../runtime/env/real/clock.ts';
import { realTimers } from '../runtime/env/real/timers.ts';
import { realRandom } from '../runtime/env/real/random.ts';
import { realNet } from '../runtime/env/real/net.ts';
import { createLogger } from '../runtime/env/real/logger.ts';
import { closeHttpClient } from '../runtime/env/real/http-client.ts';
import { createRealWorkers } from '../runtime/env/real/workers.ts';
import type { Env } from '../runtime/env/types.ts';
import { parseNodeConfig } from './config.ts';
import { startNode } from './node.ts';
import { heapFlagsMissing } from './heap-flags.ts';

const USAGE = 'usage: shoal-node --role proxy|target --config FILE';
const DAEMON_ID_FILE = '.ais.daemon_id';
export const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { role: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const role = values.role;
  if ((role !== 'proxy' && role !== 'target') || !values.config) {
    console.error(USAGE);
    return 2;
  }
  const disk = realDisk();
  const cfg = parseNodeConfig(JSON.parse(Buffer.from(await disk.readFile(values.config)).toString('utf8')));
  await disk.mkdir(cfg.confdir);
  const random = realRandom();
  const daemonId = cfg.daemon_id ?? (await persistedDaemonId(disk, cfg.confdir, role, random));
  const log = createLogger({ nodeId: daemonId, level: cfg.log_level, destination: cfg.log_file });
  const env: Env = {
    nodeId: daemonId,
    clock: realClock(),
    timers: realTimers(),
    random,
    disk,
    net: realNet({ httpAdapter: cfg.http_adapter ?? 'node' }),
    log,
    workers: createRealWorkers(),
  };
  const missing = heapFlagsMissing(process.execArgv);
  if (missing.length > 0) log.warn({ missing }, 'node started without its V8 heap flags (start it with them, as nodes/bin.js and the systemd unit do): frequent full GCs cut data throughput');
  // Declared before the node starts: the primary may ask it to shut down (decommission) at any time.
  let shutdown: (why: string) => Promise<void> = async () => {};
  const node = await startNode(env, cfg, role, daemonId, { onShutdown: (req) => void shutdown(req.decommission ? 'decommissioned' : 'shutdown-node') });
  console.log(`${role} ${daemonId} listening on ${cfg.host_net.hostname}:${cfg.host_net.port}`);

  let stopping = false;
  shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = realTimers().setTimeout(() => {
      log.error({}, 'shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    await node.stop();
    await closeHttpClient();
    await env.workers.close();
    realTimers().clearTimeout(force);
    await log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // A root supervisor that gave up means the node cannot serve: exit non-zero and let systemd restart it.
  void node.root.exited.then(async (err) => {
    if (stopping) return;
    log.error({ err: err?.message }, 'root supervisor exited');
    await log.flush();
    process.exit(1);
  });
  return -1;
}

async function persistedDaemonId(disk: Env['disk'], confdir: string, role: string, random: Env['random']): Promise<string> {
  const path = `${confdir}/${DAEMON_ID_FILE}`;
  if (await disk.stat(path)) return Buffer.from(await disk.readFile(path)).toString('utf8').trim();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const id = (role === 'proxy' ? 'p' : 't') + Array.from(random.bytes(8), (b) => alphabet[b % alphabet.length]).join('');
  await disk.writeFileAtomic(path, Buffer.from(id));
  return id;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: Error) => {
    console.error(`shoal-node: ${err.message}`);
    process.exit(1);
  },
);
