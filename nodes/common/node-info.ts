// Answers shared by proxies and targets: /v1/health and /v1/daemon?what=...
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { ErrInvalidArgument, ErrMethodNotAllowed, ErrNotReady } from '../../protocol/errors.ts';
import { Hdr, What } from '../../protocol/apc.ts';
import type { NodeCore } from './node-core.ts';
import { jsonResponse } from './http.ts';

export const SOFTWARE_VERSION = '0.1.0';

function uptimeNs(core: NodeCore): string {
  return String(BigInt(Math.round((core.env.clock.monotonicMs() - core.startedMs) * 1e6)));
}

/** `GET /v1/health`: 200 with uptimes once the node is ready, 503 until then (AIS). */
export function health(core: NodeCore, req: HttpRequest, ready: boolean): HttpResponse {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET', 'HEAD']);
  if (!ready) throw new ErrNotReady(`${core.self.daemon_type} ${core.id} is not ready yet`);
  const headers: Record<string, string> = { [Hdr.nodeUptime]: uptimeNs(core) };
  if (core.isPrimary()) headers[Hdr.clusterUptime] = uptimeNs(core);
  return { status: 200, headers };
}

/** `GET /v1/daemon?what=...`: this node's view. */
export function daemonWhat(core: NodeCore, req: HttpRequest, extra: (what: string) => unknown): HttpResponse {
  if (req.method !== 'GET') throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET']);
  const what = req.query.get('what') ?? '';
  switch (what) {
    case What.smap:
      return jsonResponse(200, core.owner.smap ?? null);
    case What.bmd:
      return jsonResponse(200, core.owner.bmd ?? null);
    case What.snode:
      return jsonResponse(200, core.self);
    case What.clusterConfig:
      return jsonResponse(200, core.owner.config ?? null);
    case What.config:
      return jsonResponse(200, { ...core.owner.config, ...localConfig(core) });
    case What.softwareVersion:
      return jsonResponse(200, { version: SOFTWARE_VERSION, build: '' });
    default: {
      const v = extra(what);
      if (v === undefined) throw new ErrInvalidArgument(`invalid GET /v1/daemon request: unrecognized what=${what}`);
      return jsonResponse(200, v);
    }
  }
}

function localConfig(core: NodeCore): Record<string, unknown> {
  const c = core.cfg;
  return {
    confdir: c.confdir,
    host_net: {
      hostname: c.host_net.hostname,
      port: String(c.host_net.port),
      port_intra_control: String(c.host_net.port_intra_control),
      port_intra_data: String(c.host_net.port_intra_data),
    },
    fspaths: c.fspaths ?? {},
  };
}
