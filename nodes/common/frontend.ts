// The part of the public API every node serves the same way: `/v1/...` routing, `/v1/health`,
// 503 until ready, and every thrown error mapped once to the AIS JSON error.
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { ErrNotFound, ErrNotReady } from '../../protocol/errors.ts';
import type { NodeCore } from './node-core.ts';
import { apiItems, errorResponse } from './http.ts';
import { health } from './node-info.ts';

/** Handles one request: `route(resource, items)` for `/v1/<resource>/<items...>` once the node is ready. */
export async function serveV1(
  core: NodeCore,
  req: HttpRequest,
  ready: () => boolean,
  route: (resource: string, items: string[]) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  try {
    const items = apiItems(req.rawPath);
    if (items[0] !== 'v1') throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
    const resource = items[1] ?? '';
    if (resource === 'health') return health(core, req, ready());
    // A standby node answers who it is before it is in the cluster (join-by-admin asks).
    const whoAmI = resource === 'daemon' && req.method === 'GET' && req.query.get('what') === 'snode';
    if (!ready() && !whoAmI) throw new ErrNotReady(`${core.self.daemon_type} ${core.id} is not ready yet`);
    return await route(resource, items);
  } catch (e) {
    return errorResponse(e, req, core.id);
  }
}
