// S3 multipart uploads end to end on a real 1-proxy/3-target cluster through the proxy's `/s3`:
// 20 MiB in 5 MiB parts sent out of order, stored as a chunked object and read back whole and by
// ranges across chunk boundaries; ETag `<md5 of md5s>-4`; ListParts, ListMultipartUploads, abort;
// UploadPartCopy; every error code of the multipart API; overwrites both ways; delete; the native
// AIS multipart API; a partial upload surviving its target's restart; a chunked object moved by
// rebalance when a target joins (last: it changes the cluster).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { bckUname } from '../../protocol/bmd.ts';
import type { Smap } from '../../protocol/smap.ts';
import { Hrw } from '../../nodes/cluster/hrw.ts';
import { targetCandidates } from '../../nodes/cluster/smap.ts';
import { createBucket, parseAisError, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { getJson, waitFor } from '../support/cluster-helpers.ts';
import { getSmap, waitRebSettled } from '../support/reb-helpers.ts';
import { assertS3Error, assertS3Ok, s3, s3Path, xlist, xtext, type S3Options, type S3Result } from '../support/s3-helpers.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
const PART = 5 * MIB;
const BCK = 's3mpt';
const MISSING_BCK = 's3mpt-nope';
const NO_SUCH_ID = 'f'.repeat(32);

let c: ObjCluster;

function md5(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

function mptEtag(parts: readonly Buffer[]): string {
  return `${createHash('md5').update(Buffer.concat(parts.map((p) => Buffer.from(md5(p), 'hex')))).digest('hex')}-${parts.length}`;
}

function req(method: string, key: string, opts: S3Options = {}, bucket = BCK): Promise<S3Result> {
  return s3(c.proxyUrl, method, s3Path(bucket, key), opts);
}

async function create(key: string, headers: Record<string, string> = {}, bucket = BCK): Promise<string> {
  const r = assertS3Ok(await req('POST', key, { query: { uploads: '' }, headers }, bucket));
  assert.equal(r.root, 'InitiateMultipartUploadResult');
  assert.equal(xtext(r.xml, 'Bucket'), bucket);
  assert.equal(xtext(r.xml, 'Key'), key);
  return xtext(r.xml, 'UploadId');
}

function putPart(key: string, id: string, n: number | string, body: Buffer | string, headers: Record<string, string> = {}): Promise<S3Result> {
  return req('PUT', key, { query: { partNumber: String(n), uploadId: id }, body, headers });
}

function completeXml(parts: readonly { n: number | string; etag: string }[]): string {
  return `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
}

function complete(key: string, id: string, body: string): Promise<S3Result> {
  return req('POST', key, { query: { uploadId: id }, body });
}

/** Uploads `parts` (numbers 1..n, in `order`) and completes; returns the ETag answer. */
async function uploadAll(key: string, parts: readonly Buffer[], order = parts.map((_, i) => i)): Promise<string> {
  const id = await create(key);
  for (const i of order) assert.equal(assertS3Ok(await putPart(key, id, i + 1, parts[i]!)).headers.get('etag'), `"${md5(parts[i]!)}"`);
  const r = assertS3Ok(await complete(key, id, completeXml(parts.map((p, i) => ({ n: i + 1, etag: `"${md5(p)}"` })))));
  return xtext(r.xml, 'ETag');
}

before(async () => {
  c = await startObjCluster();
  await createBucket(c.proxyUrl, BCK);
});

after(async () => {
  await c?.close();
});

test('20 MiB in 5 MiB parts out of order: chunked object, ETag -4, whole and ranged reads', async () => {
  const key = 'big/twenty';
  const parts = [0, 1, 2, 3].map(() => randomBytes(PART));
  const data = Buffer.concat(parts);
  const id = await create(key, { 'content-type': 'application/x-test', 'x-amz-meta-color': 'blue' });
  for (const i of [3, 1, 0, 2]) {
    const r = assertS3Ok(await putPart(key, id, i + 1, parts[i]!));
    assert.equal(r.headers.get('etag'), `"${md5(parts[i]!)}"`);
  }
  // ListParts, all and paged
  const lp = assertS3Ok(await req('GET', key, { query: { uploadId: id } }));
  assert.equal(lp.root, 'ListPartsResult');
  assert.deepEqual(xlist(lp.xml, 'Part').map((p) => [xtext(p, 'PartNumber'), xtext(p, 'ETag'), xtext(p, 'Size')]), parts.map((p, i) => [String(i + 1), `"${md5(p)}"`, String(PART)]));
  assert.equal(xtext(lp.xml, 'IsTruncated'), 'false');
  const page = assertS3Ok(await req('GET', key, { query: { uploadId: id, 'max-parts': '2', 'part-number-marker': '1' } }));
  assert.deepEqual(xlist(page.xml, 'Part').map((p) => xtext(p, 'PartNumber')), ['2', '3']);
  assert.equal(xtext(page.xml, 'IsTruncated'), 'true');
  assert.equal(xtext(page.xml, 'NextPartNumberMarker'), '3');
  // ListMultipartUploads (the proxy asks every target)
  const lu = assertS3Ok(await req('GET', '', { query: { uploads: '' } }));
  assert.ok(xlist(lu.xml, 'Upload').some((u) => xtext(u, 'Key') === key && xtext(u, 'UploadId') === id), lu.text);
  // Complete
  const done = assertS3Ok(await complete(key, id, completeXml(parts.map((p, i) => ({ n: i + 1, etag: `"${md5(p)}"` })))));
  assert.equal(done.root, 'CompleteMultipartUploadResult');
  assert.equal(xtext(done.xml, 'Key'), key);
  assert.equal(xtext(done.xml, 'ETag'), `"${mptEtag(parts)}"`);
  assert.match(xtext(done.xml, 'ETag'), /^"[0-9a-f]{32}-4"$/);
  // the upload is gone
  assertS3Error(await req('GET', key, { query: { uploadId: id } }), 404, 'NoSuchUpload');
  const lu2 = assertS3Ok(await req('GET', '', { query: { uploads: '' } }));
  assert.ok(!xlist(lu2.xml, 'Upload').some((u) => xtext(u, 'UploadId') === id));
  // HEAD and GET
  const head = assertS3Ok(await req('HEAD', key));
  assert.equal(head.headers.get('etag'), `"${mptEtag(parts)}"`);
  assert.equal(head.headers.get('content-length'), String(data.length));
  assert.equal(head.headers.get('content-type'), 'application/x-test');
  assert.equal(head.headers.get('x-amz-meta-color'), 'blue');
  const got = assertS3Ok(await req('GET', key));
  assert.ok(got.body.equals(data), 'GET returns the parts in part-number order');
  for (const [s, e] of [[PART - 10, PART + 9], [0, 3 * PART], [2 * PART - 1, 2 * PART], [3 * PART + 5, 4 * PART - 1], [PART, PART]] as const) {
    const r = assertS3Ok(await req('GET', key, { headers: { range: `bytes=${s}-${e}` } }), 206);
    assert.equal(r.headers.get('content-range'), `bytes ${s}-${e}/${data.length}`);
    assert.ok(r.body.equals(data.subarray(s, e + 1)), `range ${s}-${e}`);
  }
  const tail = assertS3Ok(await req('GET', key, { headers: { range: 'bytes=-7' } }), 206);
  assert.ok(tail.body.equals(data.subarray(data.length - 7)));
  assertS3Error(await req('GET', key, { headers: { range: `bytes=${data.length}-` } }), 416, 'InvalidRange');
  // listed like any object
  const lo = assertS3Ok(await req('GET', '', { query: { 'list-type': '2', prefix: 'big/' } }));
  assert.deepEqual(xlist(lo.xml, 'Contents').map((o) => [xtext(o, 'Key'), xtext(o, 'Size')]), [[key, String(data.length)]]);
});

test('multipart errors: InvalidArgument, NoSuchUpload, MalformedXML, InvalidPartOrder, InvalidPart, EntityTooSmall, NoSuchBucket', async () => {
  const key = 'errs/o';
  const id = await create(key);
  const small = [randomBytes(100), randomBytes(200)];
  for (const [i, p] of small.entries()) assertS3Ok(await putPart(key, id, i + 1, p));
  for (const n of ['0', '10001', 'abc', '-1', '1.5']) assertS3Error(await putPart(key, id, n, 'x'), 400, 'InvalidArgument');
  assertS3Error(await putPart(key, id, '', 'x'), 400, 'InvalidArgument');
  assertS3Error(await putPart(key, NO_SUCH_ID, 1, 'x'), 404, 'NoSuchUpload');
  assertS3Error(await putPart(key, '../../etc', 1, 'x'), 404, 'NoSuchUpload');
  assertS3Error(await putPart('errs/other', id, 1, 'x'), 404, 'NoSuchUpload');
  assertS3Error(await req('GET', key, { query: { uploadId: NO_SUCH_ID } }), 404, 'NoSuchUpload');
  assertS3Error(await req('GET', key, { query: { uploadId: id, 'max-parts': 'x' } }), 400, 'InvalidArgument');
  assertS3Error(await complete(key, NO_SUCH_ID, completeXml([{ n: 1, etag: md5(small[0]!) }])), 404, 'NoSuchUpload');
  assertS3Error(await req('DELETE', key, { query: { uploadId: NO_SUCH_ID } }), 404, 'NoSuchUpload');
  assertS3Error(await complete(key, id, '<CompleteMultipartUpload><Part>'), 400, 'MalformedXML');
  assertS3Error(await complete(key, id, ''), 400, 'MalformedXML');
  assertS3Error(await complete(key, id, '<Other/>'), 400, 'MalformedXML');
  assertS3Error(await complete(key, id, '<CompleteMultipartUpload></CompleteMultipartUpload>'), 400, 'MalformedXML');
  assertS3Error(await complete(key, id, completeXml([{ n: 'x', etag: md5(small[0]!) }])), 400, 'MalformedXML');
  const e = small.map((p) => md5(p));
  assertS3Error(await complete(key, id, completeXml([{ n: 2, etag: e[1]! }, { n: 1, etag: e[0]! }])), 400, 'InvalidPartOrder');
  assertS3Error(await complete(key, id, completeXml([{ n: 1, etag: e[1]! }])), 400, 'InvalidPart');
  assertS3Error(await complete(key, id, completeXml([{ n: 3, etag: e[0]! }])), 400, 'InvalidPart');
  assertS3Error(await complete(key, id, completeXml([{ n: 1, etag: '' }])), 400, 'InvalidPart');
  assertS3Error(await complete(key, id, completeXml([{ n: 1, etag: `"${e[0]}"` }, { n: 2, etag: e[1]! }])), 400, 'EntityTooSmall');
  assertS3Error(await req('POST', key, { query: { uploads: '' } }, MISSING_BCK), 404, 'NoSuchBucket');
  assertS3Error(await req('PUT', key, { query: { partNumber: '1', uploadId: id }, body: 'x' }, MISSING_BCK), 404, 'NoSuchBucket');
  // none of that hurt the upload: a single small last part completes
  const ok = assertS3Ok(await complete(key, id, completeXml([{ n: 2, etag: e[1]! }])));
  assert.equal(xtext(ok.xml, 'ETag'), `"${mptEtag([small[1]!])}"`);
  assert.ok(assertS3Ok(await req('GET', key)).body.equals(small[1]!));
});

test('abort removes the upload (204); a re-sent part replaces the earlier one', async () => {
  const key = 'abort/o';
  const id = await create(key);
  assertS3Ok(await putPart(key, id, 1, 'first version'));
  assertS3Ok(await putPart(key, id, 1, 'second'));
  const lp = assertS3Ok(await req('GET', key, { query: { uploadId: id } }));
  assert.deepEqual(xlist(lp.xml, 'Part').map((p) => [xtext(p, 'PartNumber'), xtext(p, 'ETag')]), [['1', `"${md5('second')}"`]]);
  assertS3Ok(await req('DELETE', key, { query: { uploadId: id } }), 204);
  assertS3Error(await req('GET', key, { query: { uploadId: id } }), 404, 'NoSuchUpload');
  assertS3Error(await putPart(key, id, 2, 'x'), 404, 'NoSuchUpload');
  assertS3Error(await req('HEAD', key), 404, 'NoSuchKey', true);
});

test('UploadPartCopy: a range and a whole object as parts; bad ranges and sources', async () => {
  const src = randomBytes(PART + 1000);
  assertS3Ok(await req('PUT', 'copy/src', { body: src }));
  const key = 'copy/dst';
  const id = await create(key);
  const r1 = assertS3Ok(await req('PUT', key, { query: { partNumber: '1', uploadId: id }, headers: { 'x-amz-copy-source': `/${BCK}/copy/src`, 'x-amz-copy-source-range': `bytes=0-${PART - 1}` } }));
  assert.equal(r1.root, 'CopyPartResult');
  assert.equal(xtext(r1.xml, 'ETag'), `"${md5(src.subarray(0, PART))}"`);
  assert.ok(!Number.isNaN(Date.parse(xtext(r1.xml, 'LastModified'))));
  assertS3Ok(await req('PUT', key, { query: { partNumber: '2', uploadId: id }, headers: { 'x-amz-copy-source': `${BCK}/copy%2Fsrc` } }));
  const copyErr = (headers: Record<string, string>) => req('PUT', key, { query: { partNumber: '3', uploadId: id }, headers });
  assertS3Error(await copyErr({ 'x-amz-copy-source': `${BCK}/copy/src`, 'x-amz-copy-source-range': 'bytes=5-' }), 400, 'InvalidArgument');
  assertS3Error(await copyErr({ 'x-amz-copy-source': `${BCK}/copy/src`, 'x-amz-copy-source-range': 'bytes=9-3' }), 400, 'InvalidArgument');
  assertS3Error(await copyErr({ 'x-amz-copy-source': `${BCK}/copy/src`, 'x-amz-copy-source-range': `bytes=0-${src.length}` }), 416, 'InvalidRange');
  assertS3Error(await copyErr({ 'x-amz-copy-source': `${BCK}/copy/none` }), 404, 'NoSuchKey');
  assertS3Error(await copyErr({ 'x-amz-copy-source': `${MISSING_BCK}/x` }), 404, 'NoSuchBucket');
  assertS3Error(await req('PUT', key, { query: { partNumber: '3', uploadId: NO_SUCH_ID }, headers: { 'x-amz-copy-source': `${BCK}/copy/src` } }), 404, 'NoSuchUpload');
  const parts = [src.subarray(0, PART), src];
  // ETags quoted as Go's encoding/xml writes them (rclone): `&#34;…&#34;`
  const done = assertS3Ok(await complete(key, id, completeXml(parts.map((p, i) => ({ n: i + 1, etag: `&#34;${md5(p)}&#34;` })))));
  assert.equal(xtext(done.xml, 'ETag'), `"${mptEtag(parts)}"`);
  assert.ok(assertS3Ok(await req('GET', key)).body.equals(Buffer.concat(parts)));
  // a chunked object is a copy source too (CopyObject and UploadPartCopy read across its chunks)
  const id2 = await create('copy/dst2');
  const r = assertS3Ok(await req('PUT', 'copy/dst2', { query: { partNumber: '1', uploadId: id2 }, headers: { 'x-amz-copy-source': `${BCK}/copy/dst`, 'x-amz-copy-source-range': `bytes=${PART - 5}-${PART + 4}` } }));
  assert.equal(xtext(r.xml, 'ETag'), `"${md5(Buffer.concat(parts).subarray(PART - 5, PART + 5))}"`);
  assertS3Ok(await req('DELETE', 'copy/dst2', { query: { uploadId: id2 } }), 204);
});

test('overwrites: Complete over a plain object, plain PUT over a chunked one; delete', async () => {
  const key = 'over/o';
  assertS3Ok(await req('PUT', key, { body: 'plain one' }));
  const parts = [randomBytes(PART), randomBytes(10)];
  const etag = await uploadAll(key, parts, [1, 0]);
  assert.equal(etag, `"${mptEtag(parts)}"`);
  const got = assertS3Ok(await req('GET', key));
  assert.ok(got.body.equals(Buffer.concat(parts)));
  assert.equal(got.headers.get('etag'), etag);
  assertS3Ok(await req('PUT', key, { body: 'plain two' }));
  const again = assertS3Ok(await req('GET', key));
  assert.equal(again.text, 'plain two');
  assert.equal(again.headers.get('etag'), `"${md5('plain two')}"`);
  const small = [randomBytes(3000)];
  await uploadAll(key, small);
  assert.ok(assertS3Ok(await req('GET', key)).body.equals(small[0]!));
  assertS3Ok(await req('DELETE', key), 204);
  assertS3Error(await req('GET', key), 404, 'NoSuchKey');
});

test('native AIS multipart: mpt-upload, parts, mpt-complete, mpt-abort, bad input', async () => {
  const url = (q = '') => `${c.proxyUrl}/v1/objects/${BCK}/native/o${q}`;
  // the proxy answers 307; the hop is made here with the same body (Node's fetch cannot re-send a Buffer)
  const hop = async (method: string, q: string, body?: string | Buffer): Promise<Response> => {
    const first = await fetch(url(q), { method, body, redirect: 'manual' });
    const location = first.headers.get('location');
    if (first.status !== 307 || !location) return first;
    await first.arrayBuffer();
    return fetch(location, { method, body });
  };
  const post = (q: string, body: unknown) => hop('POST', q, JSON.stringify(body));
  const r0 = await post('', { action: 'mpt-upload' });
  assert.equal(r0.status, 200);
  const id = await r0.text();
  assert.match(id, /^[0-9a-f]{32}$/);
  const parts = [randomBytes(PART), randomBytes(777)];
  for (const i of [1, 0]) {
    const r = await hop('PUT', `?uploadId=${id}&partNumber=${i + 1}`, parts[i]);
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(r.headers.get('etag'), `"${md5(parts[i]!)}"`);
  }
  // bad input: AIS JSON errors
  const bad = await post(`?uploadId=${id}`, { action: 'mpt-complete', value: [{ 'part-number': 0, etag: '' }] });
  assert.equal(bad.status, 400);
  assert.equal(parseAisError(await bad.text()).tcode, 'ErrBadActMsg');
  const unknownAct = await post('', { action: 'no-such-action' });
  assert.equal(unknownAct.status, 400);
  assert.equal(parseAisError(await unknownAct.text()).tcode, 'ErrBadActMsg');
  const noId = await post(`?uploadId=${NO_SUCH_ID}`, { action: 'mpt-complete', value: [{ 'part-number': 1, etag: '' }] });
  assert.equal(noId.status, 404);
  assert.equal(parseAisError(await noId.text()).tcode, 'ErrS3NoSuchUpload');
  const badNum = await hop('PUT', `?uploadId=${id}&partNumber=0`, 'x');
  assert.equal(badNum.status, 400);
  const order = await post(`?uploadId=${id}`, { action: 'mpt-complete', value: [{ 'part-number': 2, etag: '' }, { 'part-number': 1, etag: '' }] });
  assert.equal(order.status, 400);
  assert.equal(parseAisError(await order.text()).tcode, 'ErrS3InvalidPartOrder');
  // complete (etag '' is not checked), read back natively and through S3
  const done = await post(`?uploadId=${id}`, { action: 'mpt-complete', value: [{ 'part-number': 1, etag: '' }, { 'part-number': 2, etag: md5(parts[1]!) }] });
  assert.equal(done.status, 200, await done.clone().text());
  const got = await fetch(url());
  assert.equal(got.status, 200);
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(Buffer.concat(parts)));
  assert.equal(assertS3Ok(await req('HEAD', 'native/o')).headers.get('etag'), `"${mptEtag(parts)}"`);
  // abort
  const a = await (await post('', { action: 'mpt-upload' })).text();
  const ab = await hop('DELETE', `?uploadId=${a}`, JSON.stringify({ action: 'mpt-abort' }));
  assert.equal(ab.status, 200);
  const ab2 = await hop('DELETE', `?uploadId=${a}`, JSON.stringify({ action: 'mpt-abort' }));
  assert.equal(ab2.status, 404);
  assert.equal(parseAisError(await ab2.text()).tcode, 'ErrS3NoSuchUpload');
});

test('a partial upload survives a restart of its target', async () => {
  const key = 'restart/o';
  const smap = await getJson<Smap>(`${c.proxyUrl}/v1/daemon?what=smap`);
  const hrw = await Hrw.create();
  const owner = hrw.select(targetCandidates(smap), bckUname('ais', BCK) + key)!.node.daemon_id;
  const parts = [randomBytes(PART), randomBytes(4321)];
  const id = await create(key);
  assertS3Ok(await putPart(key, id, 2, parts[1]!));
  await c.cluster.kill(owner);
  await c.cluster.restart(owner);
  // back in service: the upload is listed again (503 while it re-joins)
  await waitFor('restarted target serves the upload', async () => ((await req('GET', key, { query: { uploadId: id } })).status === 200 ? true : undefined));
  assertS3Ok(await putPart(key, id, 1, parts[0]!));
  const done = assertS3Ok(await complete(key, id, completeXml(parts.map((p, i) => ({ n: i + 1, etag: md5(p) })))));
  assert.equal(xtext(done.xml, 'ETag'), `"${mptEtag(parts)}"`);
  assert.ok(assertS3Ok(await req('GET', key)).body.equals(Buffer.concat(parts)));
});

test('rebalance moves chunked objects to a joining target; they read back whole', async () => {
  const objs = new Map<string, { data: Buffer; etag: string }>();
  // 24 keys: the chance that none of them moves to the 4th target is (3/4)^24 ≈ 0.1%
  for (let i = 0; i < 24; i++) {
    const key = `reb/obj-${i}`;
    const parts = i % 8 === 0 ? [randomBytes(PART), randomBytes(1000 + i)] : [randomBytes(20_000 + i)];
    const etag = await uploadAll(key, parts);
    objs.set(key, { data: Buffer.concat(parts), etag });
  }
  const before = Number((await getSmap(c.proxyUrl)).version);
  const added = await c.cluster.addTarget();
  const settled = await waitRebSettled(c.proxyUrl, 1);
  const smap = await getSmap(c.proxyUrl);
  assert.ok(Number(smap.version) > before);
  const moved = Object.values(settled.snaps).reduce((n, s) => n + Number(s.stats['out-objs'] ?? 0), 0);
  assert.ok(moved > 0, 'some objects moved');
  const hrw = await Hrw.create();
  const toNew = [...objs.keys()].filter((k) => hrw.select(targetCandidates(smap), bckUname('ais', BCK) + k)?.node.daemon_id === added.id);
  assert.ok(toNew.length > 0, 'some chunked object is owned by the new target now');
  for (const [key, o] of objs) {
    const r = assertS3Ok(await req('GET', key));
    assert.ok(r.body.equals(o.data), `${key} reads back`);
    assert.equal(r.headers.get('etag'), o.etag, `${key} keeps its ETag`);
  }
});
