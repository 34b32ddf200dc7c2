// One node process = one supervisor tree:
//   root (rest-for-one)
//   ├─ transport   intra-control + intra-data msgpack/WebSocket endpoints
//   ├─ http        public REST frontend (node:http or uWS adapter); 503 until the node is ready
//   ├─ cluster     primary: Smap/BMD owner + keepalives; member: self-join + watchdog
//   └─ jobs        job supervisor (one-for-one): one actor per running xaction
// rest-for-one: if the transport dies, everything started after it restarts too.
import type { Env, Listener } from '../runtime/env/types.ts';
import { InspectBus } from '../runtime/actor/bus.ts';
import { Supervisor, rootContext } from '../runtime/actor/index.ts';
import { createMsgEndpoint } from '../runtime/transport/endpoint.ts';
import type { HttpServerOptions } from '../runtime/http/types.ts';
import type { DaemonType } from '../protocol/smap.ts';
import type { NodeConfig } from './config.ts';
import { Hrw } from './cluster/hrw.ts';
import { snodeOf } from './cluster/smap.ts';
import { NodeCore } from './common/node-core.ts';
import { serviceSpec } from './common/service.ts';
import { ProxyNode } from './proxy/proxy.ts';
import { TargetNode } from './target/target.ts';
import { Storage } from './target/storage/storage.ts';
import { VMD_FILE_NAME } from './target/storage/mountpath-set.ts';
import { ErrInvalidArgument } from '../protocol/errors.ts';
import type { NodeShutdownReq } from '../protocol/reb.ts';
import { JobRegistry } from '../actors/xact/registry.ts';
import { NodeInspector } from './common/inspect.ts';
import { InspectHub } from './proxy/inspect.ts';
import { UI_PAGE_HTML } from '../ui/page.ts';

/** Long uploads must not be cut by node:http's 300 s default; idle keep-alive as AIS (idle_conn_time). */
export const HTTP_SERVER_OPTIONS: HttpServerOptions = {
  requestTimeoutMs: 0,
  keepAliveTimeoutMs: 30_000,
  maxHeaderSize: 16 * 1024,
};
export const ROOT_RESTARTS_MAX = 5;
export const ROOT_RESTART_WINDOW_MS = 30_000;

export interface RunningNode {
  readonly id: string;
  readonly role: DaemonType;
  readonly root: Supervisor;
  readonly bus: InspectBus;
  readonly publicPort: number;
  stop(): Promise<void>;
}

function withActor(env: Env, path: string): Env {
  return { ...env, log: env.log.child({ actor: path }) };
}

export interface NodeHooks {
  /** The primary asked this node to go (shutdown-node, decommission): the process entry stops it. */
  onShutdown?: (req: NodeShutdownReq) => void;
}

export async function startNode(env: Env, cfg: NodeConfig, role: DaemonType, daemonId: string, hooks: NodeHooks = {}): Promise<RunningNode> {
  const hrw = await Hrw.create();
  const hn = cfg.host_net;
  const self = snodeOf({
    id: daemonId,
    type: role,
    host: hn.hostname,
    port: hn.port,
    portControl: hn.port_intra_control,
    portData: hn.port_intra_data,
    digest: hrw.digest(daemonId),
  });
  let storage: Storage | undefined;
  if (role === 'target') {
    const mpaths = Object.keys(cfg.fspaths ?? {});
    if (mpaths.length === 0) throw new ErrInvalidArgument('a target needs at least one mountpath in "fspaths"');
    // The mountpath set as last attached/detached (persisted in confdir) wins over the config's.
    const vmdPath = `${cfg.confdir}/${VMD_FILE_NAME}`;
    storage = await Storage.open(withActor(env, `${daemonId}/root/storage`), { mountpaths: mpaths, hrw, vmdPath });
  }
  await env.disk.mkdir(cfg.confdir);

  // Every log line carries the node id (from env.log) and the actor path of the service it came from.
  const transportEnv = withActor(env, `${daemonId}/root/transport`);
  const ctrl = createMsgEndpoint(transportEnv, { nodeId: daemonId });
  const data = createMsgEndpoint(transportEnv, { nodeId: daemonId });
  const core = new NodeCore({ env: withActor(env, `${daemonId}/root/cluster`), cfg, self, hrw, ctrl, data });
  const jobs = new JobRegistry(withActor(env, `${daemonId}/root/jobs`));
  const node = role === 'proxy' ? new ProxyNode(core) : new TargetNode(core, storage!, jobs);
  node.onShutdown = hooks.onShutdown;

  const bus = new InspectBus();
  const root = new Supervisor(rootContext(env, daemonId, bus), {
    strategy: 'rest-for-one',
    intensity: { restartsMax: ROOT_RESTARTS_MAX, windowMs: ROOT_RESTART_WINDOW_MS },
    backoff: { initialMs: 100, maxMs: 5_000 },
  });
  // Live inspection: every node answers snapshots and pushes events; proxies also serve the UI.
  const inspector = new NodeInspector({ env, nodeId: daemonId, role, bus, root, jobs, ctrl });
  inspector.register();
  const hub = role === 'proxy' ? new InspectHub({ core, inspector, page: UI_PAGE_HTML }) : undefined;
  hub?.register();
  const handle = hub ? hub.wrap(node.handle) : node.handle;
  const httpOpts = hub ? { ...HTTP_SERVER_OPTIONS, upgrade: hub.upgrade } : HTTP_SERVER_OPTIONS;

  await root.startChild(
    serviceSpec({
      id: 'transport',
      // endpoints are not reusable once closed: a dead transport takes the node down (systemd restarts it)
      restart: 'temporary',
      start: async () => {
        await ctrl.listen(hn.hostname, hn.port_intra_control);
        await data.listen(hn.hostname, hn.port_intra_data);
        return { stop: async () => Promise.all([ctrl.close(), data.close()]).then(() => undefined) };
      },
    }),
  );
  await root.startChild(
    serviceSpec({
      id: 'http',
      start: async (ctx) => {
        const listener: Listener = await env.net.serveHttp(hn.hostname, hn.port, handle, httpOpts);
        ctx.log.info({ url: self.public_net.direct_url }, 'serving the public API');
        return { stop: () => listener.close() };
      },
    }),
  );
  await root.startChild(
    serviceSpec({
      id: 'cluster',
      restart: 'temporary',
      start: async () => {
        await node.start();
        return { stop: async () => node.stop() };
      },
    }),
  );
  await root.startChild({
    id: 'jobs',
    restart: 'permanent',
    start: async (ctx) => {
      const sup = new Supervisor(ctx, { strategy: 'one-for-one', intensity: { restartsMax: 100, windowMs: 60_000 }, backoff: { initialMs: 100, maxMs: 5_000 } });
      jobs.attach(sup); // again after every restart of the jobs supervisor
      return sup;
    },
  });

  return {
    id: daemonId,
    role,
    root,
    bus,
    publicPort: hn.port,
    stop: async () => {
      hub?.close();
      inspector.close();
      await root.stop();
      await storage?.close();
    },
  };
}
