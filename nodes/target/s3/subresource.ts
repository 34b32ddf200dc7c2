// Object sub-resources (`?acl`, `?tagging`, ...). Shoal keeps no per-object ACLs or tags, but clients
// ask: `s3cmd info` reads the ACL, SDKs read tags. Minimal answers for those (the owner has full
// control, no tags), NotImplemented for the rest — never the object's bytes for a sub-resource GET.
import type { HttpResponse } from '../../../runtime/http/types.ts';
import { ErrObjNotFound } from '../../../protocol/errors.ts';
import { s3Err } from '../../../protocol/s3/errors.ts';
import { S3_XMLNS, type XmlObject } from '../../../protocol/s3/xml.ts';
import { readBody } from '../../common/http.ts';
import { s3XmlResponse, type S3Request } from '../../common/s3-frontend.ts';
import type { ObjectCtx } from '../objects.ts';

/** The one owner there is (the same as the proxy's bucket answers). */
const S3_OWNER = { ID: 'shoal', DisplayName: 'shoal' } as const;
/** An ACL or tagging document we accept and ignore is small. */
const SUBRESOURCE_BODY_BYTES_MAX = 64 * 1024;

const HANDLED = ['acl', 'tagging'] as const;
/** Known object sub-resources that Shoal does not keep. */
const UNSUPPORTED = ['attributes', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'object-lock', 'renameObject'] as const;

/** The sub-resource a request names, if any. */
export function objectSubresource(q: URLSearchParams): string | undefined {
  for (const name of [...HANDLED, ...UNSUPPORTED]) if (q.has(name)) return name;
  return undefined;
}

function mustExist(ctx: ObjectCtx): void {
  if (ctx.storage.head(ctx.bck, ctx.objName) === undefined) throw new ErrObjNotFound(`${ctx.bck.provider}://${ctx.bck.name}`, ctx.objName);
}

function xml(root: string, doc: XmlObject): HttpResponse {
  return s3XmlResponse(200, root, { '@_xmlns': S3_XMLNS, ...doc });
}

export async function objectSubresourceRequest(ctx: ObjectCtx, s3: S3Request, name: string): Promise<HttpResponse> {
  const { req } = s3;
  const what = `${req.method} ?${name}`;
  if (name === 'acl') {
    mustExist(ctx);
    if (req.method === 'GET') {
      const grant: XmlObject = {
        Grantee: { '@_xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance', '@_xsi:type': 'CanonicalUser', ...S3_OWNER },
        Permission: 'FULL_CONTROL',
      };
      return xml('AccessControlPolicy', { Owner: { ...S3_OWNER }, AccessControlList: { Grant: [grant] } });
    }
    if (req.method === 'PUT') {
      await readBody(req, SUBRESOURCE_BODY_BYTES_MAX); // accepted and ignored: the owner has full control
      return { status: 200 };
    }
  }
  if (name === 'tagging') {
    mustExist(ctx);
    if (req.method === 'GET') return xml('Tagging', { TagSet: '' });
    if (req.method === 'DELETE') return { status: 204 };
  }
  throw s3Err.notImplemented(`${what} on an object is not implemented`);
}
