// Bucket changes made through S3 on any proxy: the primary runs them (it owns the BMD). A non-primary
// asks the primary over the native API (`/v1/buckets/<b>` with an ActMsg) rather than relaying the
// S3 request itself, so the request is not authenticated twice with a Host the client never signed.
import { Act } from '../../../protocol/apc.ts';
import type { ProxyNode } from '../proxy.ts';
import { S3_PROVIDER } from './bucket.ts';
import { readRemoteBody, remoteToS3Error } from './remote.ts';

export const PRIMARY_REQUEST_TIMEOUT_MS = 60_000;

export type BucketChange =
  | { op: 'create' }
  | { op: 'destroy' }
  | { op: 'versioning'; enabled: boolean };

export async function bucketOnPrimary(proxy: ProxyNode, name: string, change: BucketChange): Promise<void> {
  const bck = { provider: S3_PROVIDER, name };
  if (proxy.core.isPrimary()) {
    if (change.op === 'create') return proxy.buckets.create(bck, {});
    if (change.op === 'destroy') return proxy.buckets.destroy(bck);
    return proxy.buckets.setProps(bck, (cur) => ({ ...cur, versioning: { ...cur.versioning, enabled: change.enabled } }));
  }
  const [method, msg] =
    change.op === 'create' ? ['POST', { action: Act.createBck }]
    : change.op === 'destroy' ? ['DELETE', { action: Act.destroyBck }]
    : ['PATCH', { action: Act.setBprops, value: { versioning: { enabled: change.enabled } } }];
  const url = `${proxy.core.primaryUrl()}/v1/buckets/${encodeURIComponent(name)}?provider=${S3_PROVIDER}`;
  const res = await proxy.core.env.net.request({
    method,
    url,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(msg)),
    timeoutMs: PRIMARY_REQUEST_TIMEOUT_MS,
  });
  const text = await readRemoteBody(res.body);
  if (res.status === 200) return;
  throw remoteToS3Error(res.status, text, name);
}
