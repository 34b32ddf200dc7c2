// `/v1/reverse/daemon[/...]` + header `Ais-Node-Id: <id>`: the proxy relays the request to that
// node's `/v1/daemon[/...]` (AIS ais/prxrev.go), so a client that only reaches the proxy can read a
// target's mountpaths or change them.
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { Hdr, Path } from '../../protocol/apc.ts';
import { ErrInvalidArgument, ErrMethodNotAllowed, ErrNotFound } from '../../protocol/errors.ts';
import type { NodeCore } from '../common/node-core.ts';
import { headerString } from '../common/http.ts';
import { relay } from '../common/redirect.ts';

const METHODS = ['GET', 'PUT', 'POST', 'DELETE'];

export async function reverseDaemon(core: NodeCore, req: HttpRequest, items: string[]): Promise<HttpResponse> {
  // items: ['v1', 'reverse', 'daemon', ...]
  if (items[2] !== Path.daemon) throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
  if (!METHODS.includes(req.method)) throw new ErrMethodNotAllowed(req.method, req.rawPath, METHODS);
  const nodeId = headerString(req, Hdr.nodeId) ?? '';
  if (nodeId === '') throw new ErrInvalidArgument(`missing node ID (header "${Hdr.nodeId}")`);
  const smap = core.owner.smap;
  const node = smap?.tmap[nodeId] ?? smap?.pmap[nodeId];
  if (node === undefined) {
    const pfx = core.isPrimary() ? '' : 'non-primary, ';
    throw new ErrNotFound(`p[${core.id}]: ${pfx}cannot forward request to node: node ${nodeId} not present in Smap v${smap?.version ?? 0}`);
  }
  const rest = items.slice(2).map(encodeURIComponent).join('/');
  const q = req.query.toString();
  return relay(core.env, req, `${node.public_net.direct_url}/v1/${rest}${q ? `?${q}` : ''}`);
}
