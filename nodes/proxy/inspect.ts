// The proxy's inspection hub: serves the UI page (`GET /ui`), the whole cluster's snapshot
// (`GET /v1/inspect`, every node asked over intra-control) and the live feed (`/v1/inspect/ws`, a
// WebSocket on the public port). While at least one browser watches, it keeps every other node
// subscribed (lease renewed on a timer) and relays their batched events, with its own, to browsers.
import type { HttpHandler, HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import type { MsgSocket, TimerHandle } from '../../runtime/env/types.ts';
import { ErrMethodNotAllowed, errorToWire } from '../../protocol/errors.ts';
import { jobMachine } from '../../actors/xact/machine.ts';
import type { NodeCore } from '../common/node-core.ts';
import { errorResponse, jsonResponse } from '../common/http.ts';
import type { NodeInspector } from '../common/inspect.ts';
import { machineGraph } from '../common/inspect-graph.ts';
import { INSPECT_SUB_LEASE_MS } from '../common/inspect.ts';
import { InspectMsg, type ClusterInspectSnapshot, type InspectBatch, type NodeInspectSnapshot } from '../common/inspect-types.ts';

export const INSPECT_UI_PATH = '/ui';
export const INSPECT_SNAPSHOT_PATH = '/v1/inspect';
export const INSPECT_WS_PATH = '/v1/inspect/ws';
/** Subscriptions are renewed well within their lease, so one lost renewal does not lapse them. */
export const INSPECT_SUB_RENEW_MS = Math.floor(INSPECT_SUB_LEASE_MS / 3);
export const INSPECT_SNAP_TIMEOUT_MS = 3_000;
/** Browsers watching at once. */
export const INSPECT_CLIENTS_MAX = 64;
/** A browser this far behind misses batches (it resyncs from the snapshot) instead of growing memory. */
export const INSPECT_CLIENT_BUFFERED_BYTES_MAX = 4 * 1024 * 1024;

/** Messages to the browser (JSON text in binary frames). */
export type UiMessage = { type: 'hello'; node: string } | ({ type: 'batch' } & InspectBatch);

export interface InspectHubDeps {
  core: NodeCore;
  inspector: NodeInspector;
  /** The UI page (self-contained HTML). */
  page: string;
}

export class InspectHub {
  readonly #core: NodeCore;
  readonly #inspector: NodeInspector;
  readonly #page: string;
  readonly #clients = new Set<MsgSocket>();
  readonly #machines = { job: machineGraph(jobMachine) };
  #renewTimer: TimerHandle | undefined;
  #unlisten: (() => void) | undefined;

  constructor(deps: InspectHubDeps) {
    this.#core = deps.core;
    this.#inspector = deps.inspector;
    this.#page = deps.page;
  }

  /** Registers the handler of the batches other nodes push here. */
  register(): void {
    this.#core.ctrl.handle(InspectMsg.ev, async (b) => this.#broadcast(b as InspectBatch));
  }

  /** The node's public handler with the UI routes in front. */
  wrap(next: HttpHandler): HttpHandler {
    return async (req) => {
      const path = req.rawPath.replace(/\/+$/, '');
      if (path === INSPECT_UI_PATH) return this.#serve(req, () => this.#pageResponse());
      if (path === INSPECT_SNAPSHOT_PATH) return this.#serve(req, async () => jsonResponse(200, await this.clusterSnapshot()));
      return next(req);
    };
  }

  /** For HttpServerOptions.upgrade. */
  readonly upgrade = (rawPath: string): ((sock: MsgSocket) => void) | undefined =>
    rawPath.replace(/\/+$/, '') === INSPECT_WS_PATH ? (sock) => this.#onClient(sock) : undefined;

  async clusterSnapshot(): Promise<ClusterInspectSnapshot> {
    const core = this.#core;
    const smap = core.owner.smap;
    const self = this.#inspector.snapshot();
    const errors: Record<string, string> = {};
    const nodes: NodeInspectSnapshot[] = [self];
    const others = smap ? [...Object.values(smap.pmap), ...Object.values(smap.tmap)].filter((n) => n.daemon_id !== core.id) : [];
    const answers = await Promise.allSettled(
      others.map((n) => core.ctrl.request<NodeInspectSnapshot>(n.intra_control_net.direct_url, InspectMsg.snap, {}, { timeoutMs: INSPECT_SNAP_TIMEOUT_MS })),
    );
    answers.forEach((a, i) => {
      if (a.status === 'fulfilled') nodes.push(a.value);
      else errors[others[i]!.daemon_id] = errorToWire(a.reason).message;
    });
    return {
      primary: smap?.proxy_si.daemon_id ?? '',
      proxies: smap ? Object.keys(smap.pmap).sort() : [core.id],
      targets: smap ? Object.keys(smap.tmap).sort() : [],
      // maintenance / decommission flags (AIS Snode flags), for the map's node states
      flags: smap ? Object.fromEntries([...Object.values(smap.pmap), ...Object.values(smap.tmap)].filter((n) => n.flags !== 0).map((n) => [n.daemon_id, n.flags])) : {},
      nodes,
      errors,
      machines: this.#machines,
    };
  }

  close(): void {
    for (const c of this.#clients) c.close();
    this.#clients.clear();
    this.#idle();
  }

  async #serve(req: HttpRequest, make: () => Promise<HttpResponse> | HttpResponse): Promise<HttpResponse> {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ErrMethodNotAllowed(req.method, req.rawPath, ['GET', 'HEAD']);
      return await make();
    } catch (e) {
      return errorResponse(e, req, this.#core.id);
    }
  }

  #pageResponse(): HttpResponse {
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: this.#page };
  }

  #onClient(sock: MsgSocket): void {
    if (this.#clients.size >= INSPECT_CLIENTS_MAX) {
      sock.close();
      return;
    }
    this.#clients.add(sock);
    sock.onClose(() => {
      this.#clients.delete(sock);
      if (this.#clients.size === 0) this.#idle();
    });
    this.#send(sock, { type: 'hello', node: this.#core.id });
    if (this.#clients.size === 1) this.#watch();
  }

  /** First browser: listen to this node, subscribe the others, keep renewing. */
  #watch(): void {
    this.#unlisten ??= this.#inspector.listen((batch) => this.#broadcast(batch));
    this.#renew();
    this.#renewTimer ??= this.#core.env.timers.setInterval(() => this.#renew(), INSPECT_SUB_RENEW_MS);
  }

  #idle(): void {
    this.#unlisten?.();
    this.#unlisten = undefined;
    if (this.#renewTimer !== undefined) this.#core.env.timers.clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
  }

  #renew(): void {
    const core = this.#core;
    const smap = core.owner.smap;
    if (!smap) return;
    const body = { url: core.self.intra_control_net.direct_url };
    for (const n of [...Object.values(smap.pmap), ...Object.values(smap.tmap)]) {
      if (n.daemon_id === core.id) continue;
      core.ctrl.request(n.intra_control_net.direct_url, InspectMsg.sub, body, { timeoutMs: INSPECT_SNAP_TIMEOUT_MS }).catch((e: unknown) => {
        core.env.log.debug({ node: n.daemon_id, err: errorToWire(e).message }, 'inspect subscription failed');
      });
    }
  }

  #broadcast(batch: InspectBatch): void {
    for (const c of this.#clients) this.#send(c, { type: 'batch', ...batch });
  }

  #send(sock: MsgSocket, msg: UiMessage): void {
    if (!sock.isOpen || sock.bufferedAmount() > INSPECT_CLIENT_BUFFERED_BYTES_MAX) return;
    sock.send(Buffer.from(JSON.stringify(msg)));
  }
}
