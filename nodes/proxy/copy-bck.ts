// `POST /v1/buckets/<src>?bck_to=<dst uname> {"action":"copy-bck","value":TCBMsg}` at the primary
// (AIS prxbck.go tcb): validate, create the ais destination with the source's props if missing
// (two-phase), then start the job on every target; 200 + xid.
import { bmdGet, type Bprops } from '../../protocol/bmd.ts';
import { parseBckTo, parseTcbMsg, type CopyJobValue } from '../../protocol/copy.ts';
import { ErrBckAlreadyExists, ErrBckNotFound, ErrInvalidArgument } from '../../protocol/errors.ts';
import type { BckRefWire } from '../../protocol/intra.ts';
import type { HttpResponse } from '../../runtime/http/types.ts';
import type { NodeCore } from '../common/node-core.ts';
import { textResponse } from '../common/http.ts';
import type { BucketControl } from './buckets.ts';
import type { ProxyXacts } from './xact.ts';

export const CopyBckAct = 'copy-bck';

export async function bucketCopy(
  core: NodeCore, buckets: BucketControl, xacts: ProxyXacts, src: BckRefWire, bckTo: string | null, value: unknown,
): Promise<HttpResponse> {
  const dst = parseBckTo(bckTo);
  const tcb = parseTcbMsg(value);
  const srcProps = bmdGet(core.owner.bmd!, src.provider, src.name);
  if (!srcProps) throw new ErrBckNotFound(`${src.provider}://${src.name}`);
  if (dst.provider === src.provider && dst.name === src.name) {
    throw new ErrInvalidArgument(`cannot copy bucket ${src.provider}://${src.name} onto itself`);
  }
  let dstProps = bmdGet(core.owner.bmd!, dst.provider, dst.name);
  if (!dstProps && !tcb.dryRun) {
    try {
      await buckets.create(dst, {});
      await buckets.setProps(dst, (cur): Bprops => ({ ...srcProps, created: cur.created, bid: cur.bid }));
    } catch (e) {
      if (!(e instanceof ErrBckAlreadyExists)) throw e; // created meanwhile: copy into it
    }
    dstProps = bmdGet(core.owner.bmd!, dst.provider, dst.name);
  }
  const props = dstProps ?? srcProps;
  const job: CopyJobValue = { ...tcb, bckTo: dst, dstCksumType: props.checksum.type, dstVersioning: props.versioning.enabled };
  return textResponse(200, await xacts.start('copy-bck', src, job));
}
