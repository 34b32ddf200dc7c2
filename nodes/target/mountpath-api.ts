// `PUT|DELETE|POST /v1/daemon/mountpaths {"action":"attach-mp|detach-mp|enable-mp|disable-mp",
// "value":"/path"}` on a target (AIS ais/tgtcp.go handleMpathReq; the proxy reaches it through
// `/v1/reverse/daemon/mountpaths` + `Ais-Node-Id`). Every change starts a resilver unless
// `dntres=true`; detach and disable wait for it before the mountpath leaves (AIS fsprungroup.doDD).
import type { HttpRequest, HttpResponse } from '../../runtime/http/types.ts';
import { ErrInvalidArgument, ErrMethodNotAllowed, ErrNotFound, ErrNotImplemented } from '../../protocol/errors.ts';
import { isTrue, readJson } from '../common/http.ts';
import { parseActMsg, unknownAction } from '../common/actmsg.ts';
import type { Storage } from './storage/storage.ts';
import type { TargetResilver } from './resilver.ts';

export const MpathAct = {
  attach: 'attach-mp',
  detach: 'detach-mp',
  enable: 'enable-mp',
  disable: 'disable-mp',
  rescan: 'rescan-mp',
  fshc: 'fshc-mp',
} as const;

/** AIS apc.QparamDontResilver. */
export const QPARAM_DONT_RESILVER = 'dntres';
export const QPARAM_MPATH_LABEL = 'mountpath_label';

const METHODS = ['PUT', 'DELETE', 'POST'];

export async function mountpathRequest(storage: Storage, res: TargetResilver, req: HttpRequest, items: string[]): Promise<HttpResponse> {
  if (items.length > 3) throw new ErrNotFound(`invalid URL path "${req.rawPath}"`);
  if (!METHODS.includes(req.method)) throw new ErrMethodNotAllowed(req.method, req.rawPath, METHODS);
  const msg = parseActMsg(await readJson(req));
  if (typeof msg.value !== 'string') throw new ErrInvalidArgument('invalid mountpath value in request');
  const mpath = msg.value;
  if (mpath === '') throw new ErrInvalidArgument('mountpath is not defined');
  const dontResilver = isTrue(req.query.get(QPARAM_DONT_RESILVER));
  switch (msg.action) {
    case MpathAct.attach:
    case MpathAct.enable: {
      const changed = msg.action === MpathAct.attach ? await storage.mpaths.attach(mpath) : await storage.mpaths.enable(mpath);
      if (!changed) return { status: 204 };
      if (!dontResilver) await res.trigger(`${msg.action} ${mpath}`);
      return { status: 200 };
    }
    case MpathAct.detach:
    case MpathAct.disable: {
      // AIS: skipping resilver while one runs could strand objects on the leaving mountpath.
      if (dontResilver && res.isActive()) {
        throw new ErrInvalidArgument('cannot use --no-resilver (or the respective query parameter) while resilver is in progress');
      }
      const action = msg.action === MpathAct.detach ? 'detach' : 'disable';
      const r = await storage.mpaths.beginDD(mpath, action);
      if (r === 'noop') return { status: 204 };
      if (typeof r === 'string') return { status: 200 }; // was disabled: detached at once
      // Without resilver its objects are simply no longer served (AIS: "not resilvering").
      if (dontResilver) await storage.mpaths.finishDD(r);
      else await res.trigger(`${msg.action} ${mpath}`);
      return { status: 200 };
    }
    case MpathAct.rescan:
    case MpathAct.fshc:
      throw new ErrNotImplemented(`"${msg.action}" is not supported: Shoal does not track the disks behind a mountpath`);
    default:
      unknownAction(msg, `${req.method} /v1/daemon/mountpaths`);
  }
}
