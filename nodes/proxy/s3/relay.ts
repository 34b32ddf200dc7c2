// Object requests (anything with a key, incl. multipart and CopyObject) are relayed to the HRW target
// of `<bucket>/<key>` at `/s3/<bucket>/<key>` (also when the client used the root), never answered
// with a 307: botocore, s3cmd, rclone and the JS SDK do not re-send a PUT body to a redirect.
import { ErrNoTargets } from '../../../protocol/errors.ts';
import type { HttpResponse } from '../../../runtime/http/types.ts';
import type { NodeCore } from '../../common/node-core.ts';
import { QPARAM_SMAP_VERSION, relay } from '../../common/redirect.ts';
import { S3_PATH_PREFIX, type S3Request } from '../../common/s3-frontend.ts';
import type { S3Bck } from './bucket.ts';

export async function relayObjectS3(core: NodeCore, s3: S3Request, b: S3Bck): Promise<HttpResponse> {
  const smap = core.owner.smap;
  const target = core.ownerOf(b.bck, s3.key);
  if (!smap || !target) throw new ErrNoTargets();
  const raw = s3.req.rawPath;
  // the path as the client encoded it (keys with `//`, trailing `/`, `%2F` stay byte-exact)
  const path = raw === S3_PATH_PREFIX || raw.startsWith(`${S3_PATH_PREFIX}/`) ? raw : `${S3_PATH_PREFIX}${raw.startsWith('/') ? '' : '/'}${raw}`;
  const q = new URLSearchParams(s3.req.query);
  q.set('pid', core.id);
  q.set('utm', String(core.env.clock.realtimeNs()));
  q.set(QPARAM_SMAP_VERSION, smap.version);
  return relay(core.env, s3.req, `${target.public_net.direct_url}${path}?${q.toString()}`);
}
