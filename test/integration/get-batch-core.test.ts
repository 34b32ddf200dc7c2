// GetBatch core (issue 7) on a 1-proxy/3-target cluster: a 200-item request across two buckets in
// shuffled order comes back as one tar in exactly that order with the right bytes (streamed and
// multipart), ranges, onob names, files in shards, missing items with and without coer, every bad
// request with its exact status and AIS error, 429 with a tiny DT budget, the get-batch job on the DT,
// a client that never comes, and a sender that stops answering (max_wait).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extract, pack } from 'tar-stream';
import { Readable } from 'node:stream';
import { assertAisError, getJson, http, waitFor, type HttpResult } from '../support/cluster-helpers.ts';
import { createBucket, putObj, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { parseMultipart } from '../../nodes/target/moss/multipart.ts';
import { Hrw } from '../../nodes/cluster/hrw.ts';
import { targetCandidates } from '../../nodes/cluster/smap.ts';
import { bckUname } from '../../protocol/bmd.ts';
import type { Smap } from '../../protocol/smap.ts';

const B1 = 'gb1';
const B2 = 'gb2';
const OBJS_PER_BUCKET = 120;
const BIG_BYTES = 2 * 1024 * 1024 + 12_345;
const PUT_CONCURRENCY = 16;

let c: ObjCluster;
const objs = new Map<string, Buffer>(); // `${bucket}/${name}` → bytes

function bytesOf(seed: number): Buffer {
  const size = seed % 40 === 3 ? BIG_BYTES : seed % 17 === 0 ? 0 : 100 + ((seed * 7919) % 30_000);
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k++) b[k] = (seed * 31 + k * 7) & 0xff;
  return b;
}

/** Deterministic shuffle (LCG) so a failure reproduces. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

before(async () => {
  c = await startObjCluster({ targets: 3 });
  await createBucket(c.proxyUrl, B1);
  await createBucket(c.proxyUrl, B2);
  let seed = 0;
  for (const b of [B1, B2]) for (let i = 0; i < OBJS_PER_BUCKET; i++) objs.set(`${b}/dir${i % 4}/obj-${String(i).padStart(3, '0')}`, bytesOf(seed++));
  const entries = [...objs];
  let next = 0;
  await Promise.all(
    Array.from({ length: PUT_CONCURRENCY }, async () => {
      while (next < entries.length) {
        const [key, data] = entries[next++]!;
        const slash = key.indexOf('/');
        const r = await putObj(c.proxyUrl, key.slice(0, slash), key.slice(slash + 1), data);
        assert.equal(r.status, 200, `PUT ${key}`);
      }
    }),
  );
});

after(async () => {
  await c?.close();
});

/** GET /v1/ml/moss at the proxy, then the redirected GET at the DT (no body). */
async function getBatch(body: unknown, path = '/v1/ml/moss'): Promise<{ first: HttpResult; res?: HttpResult; location?: string }> {
  const first = await http(`${c.proxyUrl}${path}`, { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (first.status !== 307) return { first };
  const location = first.headers.get('location')!;
  assert.match(location, /\/v1\/ml\/moss\/gbt-[^/]+\/[^/?]+\?.*tid=/);
  const res = await http(location);
  return { first, res, location };
}

async function tarEntries(data: Buffer): Promise<{ name: string; data: Buffer }[]> {
  const out: { name: string; data: Buffer }[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: unknown) => parts.push(d as Buffer));
      stream.on('end', () => {
        out.push({ name: h.name, data: Buffer.concat(parts) });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([data]).pipe(ex);
  await done;
  return out;
}

function item(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const slash = key.indexOf('/');
  return { bucket: key.slice(0, slash), objname: key.slice(slash + 1), ...extra };
}

const keys = () => [...objs.keys()];

test('200 items across 2 buckets, shuffled: streamed tar in request order with the right bytes', async () => {
  const order = shuffled(keys(), 7).slice(0, 200);
  const { res } = await getBatch({ in: order.map((k) => item(k)), strm: true });
  assert.equal(res?.status, 200, res?.text.slice(0, 300));
  assert.equal(res.headers.get('content-type'), 'application/x-tar');
  const entries = await tarEntries(res.body);
  assert.deepEqual(entries.map((e) => e.name), order);
  for (const e of entries) assert.ok(e.data.equals(objs.get(e.name)!), `bytes of ${e.name}`);
});

test('multipart answer: metadata part (MossResp) first, then the archive', async () => {
  const order = shuffled(keys(), 11).slice(0, 60);
  const { res } = await getBatch({ in: order.map((k, i) => item(k, { opaque: Buffer.from(`op${i}`).toString('base64') })) });
  assert.equal(res?.status, 200, res?.text.slice(0, 300));
  const ct = res.headers.get('content-type')!;
  const m = /^multipart\/mixed; boundary=(.+)$/.exec(ct);
  assert.ok(m, ct);
  const parts = parseMultipart(res.body, m[1]!);
  assert.equal(parts.length, 2);
  assert.match(parts[0]!.headers['content-disposition']!, /name="metadata"/);
  assert.match(parts[1]!.headers['content-disposition']!, /name="archive"/);
  const meta = JSON.parse(parts[0]!.data.toString()) as { uuid: string; out: { objname: string; bucket: string; provider: string; size: number; opaque?: string }[] };
  assert.match(meta.uuid, /^gbt-/);
  assert.equal(meta.out.length, order.length);
  meta.out.forEach((o, i) => {
    const key = order[i]!;
    assert.equal(`${o.bucket}/${o.objname}`, key);
    assert.equal(o.provider, 'ais');
    assert.equal(o.size, objs.get(key)!.length);
    assert.equal(Buffer.from(o.opaque!, 'base64').toString(), `op${i}`);
  });
  const entries = await tarEntries(parts[1]!.data);
  assert.deepEqual(entries.map((e) => e.name), order);
  for (const e of entries) assert.ok(e.data.equals(objs.get(e.name)!), `bytes of ${e.name}`);
});

test('URL bucket is the default; onob names by object only; ranges (N,L), (N,-1), (0,0)', async () => {
  const big = keys().find((k) => k.startsWith(`${B1}/`) && objs.get(k)!.length === BIG_BYTES)!;
  const small = keys().find((k) => k.startsWith(`${B1}/`) && objs.get(k)!.length > 1000)!;
  const name = (k: string) => k.slice(k.indexOf('/') + 1);
  const body = {
    onob: true,
    strm: true,
    in: [
      { objname: name(small), start: 10, length: 100 },
      { objname: name(big), start: 1_000_000, length: -1 },
      { objname: name(small) },
      { objname: name(big), start: 5, length: 1_500_000 },
    ],
  };
  const { res } = await getBatch(body, `/v1/ml/moss/${B1}`);
  assert.equal(res?.status, 200, res?.text.slice(0, 300));
  const entries = await tarEntries(res.body);
  assert.deepEqual(entries.map((e) => e.name), [name(small), name(big), name(small), name(big)]);
  assert.ok(entries[0]!.data.equals(objs.get(small)!.subarray(10, 110)));
  assert.ok(entries[1]!.data.equals(objs.get(big)!.subarray(1_000_000)));
  assert.ok(entries[2]!.data.equals(objs.get(small)!));
  assert.ok(entries[3]!.data.equals(objs.get(big)!.subarray(5, 1_500_005)));
});

test('out-of-bounds range: 416 ErrRangeNotSatisfiable from the DT', async () => {
  const k = keys().find((x) => objs.get(x)!.length > 0 && objs.get(x)!.length < 50_000)!;
  const size = objs.get(k)!.length;
  for (const strm of [false, true]) {
    const { first, res } = await getBatch({ in: [item(k, { start: size, length: 1 })], strm });
    assert.equal(first.status, 307);
    assertAisError(res!, 416, 'ErrRangeNotSatisfiable', `size=${size}: not satisfiable range [start=${size},length=1]`);
  }
});

test('missing object without coer: 404 ErrObjNotFound; with coer: __404__ entry and err_msg', async () => {
  const present = keys().slice(0, 3);
  const list = [item(present[0]!), item(`${B2}/no-such-object`), item(present[1]!)];
  const multi = await getBatch({ in: list });
  assertAisError(multi.res!, 404, 'ErrObjNotFound', `object "ais://${B2}/no-such-object" does not exist`);
  // Streamed, a missing first item is still a proper 404 (nothing was sent yet) ...
  const streamed = await getBatch({ in: [list[1], list[0]], strm: true });
  assertAisError(streamed.res!, 404, 'ErrObjNotFound', `object "ais://${B2}/no-such-object" does not exist`);
  // ... and one further down cuts the stream that has started (no valid archive reaches the client).
  await assert.rejects(getBatch({ in: list, strm: true }), /other side closed|terminated|socket/i);
  const { res } = await getBatch({ in: list, coer: true });
  assert.equal(res?.status, 200, res?.text.slice(0, 300));
  const parts = parseMultipart(res.body, /boundary=(.+)$/.exec(res.headers.get('content-type')!)![1]!);
  const meta = JSON.parse(parts[0]!.data.toString()) as { out: { objname: string; size: number; err_msg?: string }[] };
  assert.equal(meta.out[1]!.objname, 'no-such-object');
  assert.equal(meta.out[1]!.size, 0);
  assert.match(meta.out[1]!.err_msg!, /does not exist/);
  assert.equal(meta.out[0]!.err_msg, undefined);
  const entries = await tarEntries(parts[1]!.data);
  assert.deepEqual(entries.map((e) => e.name), [present[0], `__404__/${B2}/no-such-object`, present[1]]);
  assert.equal(entries[1]!.data.length, 0);
  // streamed with coer, too
  const s = await getBatch({ in: list, coer: true, strm: true, onob: true });
  const se = await tarEntries(s.res!.body);
  assert.deepEqual(se.map((e) => e.name), [present[0]!.slice(B1.length + 1), '__404__/no-such-object', present[1]!.slice(B1.length + 1)]);
});

test('bad requests at the proxy: exact status and AIS error', async () => {
  const k = keys()[0]!;
  const cases: [string, unknown, number, string, string][] = [
    ['/v1/ml/moss', '{"in": [', 400, 'ErrInvalidArgument', 'failed to parse request body as JSON'],
    ['/v1/ml/moss', { in: [] }, 400, 'ErrInvalidArgument', '"in" must name at least one object'],
    ['/v1/ml/moss', { in: [item(k)], mime: '.rar' }, 400, 'ErrInvalidArgument', 'unknown mime type ".rar"'],
    ['/v1/ml/moss', { in: [item(k, { start: 5, length: 0 })] }, 400, 'ErrInvalidArgument', 'length 0 with a non-zero start is not allowed'],
    ['/v1/ml/moss', { in: [{ objname: 'x', bucket: 'no-such-bucket' }] }, 404, 'ErrBckNotFound', 'bucket "ais://no-such-bucket" does not exist'],
    ['/v1/ml/moss', { in: [{ objname: 'x' }] }, 400, 'ErrInvalidArgument', 'missing bucket for "x"'],
    ['/v1/ml/moss', { in: [item(k)], mime: '.zip', strm: true }, 400, 'ErrInvalidArgument', 'zip output cannot be streamed'],
    ['/v1/ml/moss', { in: [{ bucket: B1 }] }, 400, 'ErrInvalidArgument', "must have required property 'objname'"],
    ['/v1/ml/moss', { in: [item(k)], coloc: 3 }, 400, 'ErrInvalidArgument', 'invalid coloc=3'],
  ];
  for (const [path, body, status, tcode, msg] of cases) {
    const r = await http(`${c.proxyUrl}${path}`, { body: typeof body === 'string' ? body : JSON.stringify(body) });
    assertAisError(r, status, tcode, msg);
  }
  const post = await http(`${c.proxyUrl}/v1/ml/moss`, { method: 'POST', body: JSON.stringify({ in: [item(k)] }) });
  assertAisError(post, 405, 'ErrMethodNotAllowed', 'method POST is not allowed');
  assert.equal(post.headers.get('allow'), 'GET');
});

test('the DT over its budget answers 429 ErrTooManyRequests; back under it, the batch runs', async () => {
  const set = async (q: string) => {
    const r = await http(`${c.proxyUrl}/v1/cluster/set-config?${q}`, { method: 'PUT' });
    assert.equal(r.status, 200, r.text);
  };
  const body = { in: [item(keys()[0]!)] };
  try {
    await set('get_batch.buffer_budget=1');
    const { first } = await getBatch(body);
    assertAisError(first, 429, 'ErrTooManyRequests', 'due to memory pressure');
    await set('get_batch.buffer_budget=1073741824&get_batch.max_work_items=0');
    const again = await getBatch(body);
    assertAisError(again.first, 429, 'ErrTooManyRequests', 'work items running (max 0)');
  } finally {
    await set('get_batch.buffer_budget=1073741824&get_batch.max_work_items=48');
  }
  const cfg = await getJson<{ get_batch: { buffer_budget: number; max_work_items: number; max_wait: string } }>(`${c.proxyUrl}/v1/cluster?what=config`);
  assert.equal(cfg.get_batch.max_wait, '20s');
  const ok = await getBatch(body);
  assert.equal(ok.res?.status, 200);
  const bad = await http(`${c.proxyUrl}/v1/cluster/set-config?get_batch.max_wait=5h`, { method: 'PUT' });
  assertAisError(bad, 400, 'ErrInvalidArgument', 'get_batch.max_wait: 5h is out of range [1s, 1m]');
});

async function tarOf(files: [string, Buffer][]): Promise<Buffer> {
  const p = pack();
  for (const [name, data] of files) p.entry({ name, size: data.length }, data);
  p.finalize();
  const parts: Buffer[] = [];
  for await (const c of p) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test('files inside shards (archpath) on several targets, with a range over an extracted file', async () => {
  const files = (tag: string): [string, Buffer][] => [
    ['a/one.txt', Buffer.from(`one-${tag}`)],
    ['b/two.bin', Buffer.alloc(70_000, tag.charCodeAt(0))],
    ['c/empty', Buffer.alloc(0)],
  ];
  const shards = ['s-0.tar', 's-1.tar', 's-2.tar', 's-3.tar', 's-4.tar'];
  for (const [k, sh] of shards.entries()) {
    const r = await putObj(c.proxyUrl, B2, `shards/${sh}`, await tarOf(files(String(k))));
    assert.equal(r.status, 200);
  }
  const ins = shards.flatMap((sh) => [
    { bucket: B2, objname: `shards/${sh}`, archpath: 'b/two.bin', start: 100, length: 10 },
    { bucket: B2, objname: `shards/${sh}`, archpath: 'a/one.txt' },
    { bucket: B2, objname: `shards/${sh}`, archpath: 'c/empty' }, // an empty file: one empty entry
  ]);
  const { res } = await getBatch({ in: ins, strm: true });
  assert.equal(res?.status, 200, res?.text.slice(0, 300));
  const entries = await tarEntries(res.body);
  assert.deepEqual(entries.map((e) => e.name), ins.map((i) => `${B2}/${i.objname}/${i.archpath}`));
  shards.forEach((_, k) => {
    assert.ok(entries[3 * k]!.data.equals(Buffer.alloc(10, String(k).charCodeAt(0))));
    assert.equal(entries[3 * k + 1]!.data.toString(), `one-${k}`);
    assert.equal(entries[3 * k + 2]!.data.length, 0);
  });
  // A file the shard does not have: 404 without coer, a __404__ entry with it.
  const missing = [{ bucket: B2, objname: 'shards/s-1.tar', archpath: 'no/such.file' }];
  const m = await getBatch({ in: missing });
  assertAisError(m.res!, 404, 'ErrNotFound', `archived file "no/such.file" does not exist in ais://${B2}/shards/s-1.tar`);
  const mc = await getBatch({ in: missing, coer: true, strm: true });
  assert.deepEqual((await tarEntries(mc.res!.body)).map((e) => e.name), [`__404__/${B2}/shards/s-1.tar/no/such.file`]);
});

interface SnapView {
  id: string;
  kind: string;
  state: string;
  aborted: boolean;
  'abort-err': string;
  stats: { 'loc-objs': string; 'in-objs': string };
}

/** The job's snapshot on whichever node has it (qryxstats at the proxy). */
async function jobSnap(xid: string): Promise<SnapView | undefined> {
  const r = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: JSON.stringify({ id: xid }) });
  assert.equal(r.status, 200, r.text);
  const all = JSON.parse(r.text) as Record<string, SnapView[] | null>;
  for (const snaps of Object.values(all)) for (const s of snaps ?? []) if (s.id === xid) return s;
  return undefined;
}

test('each work item is a get-batch job on its DT, finished once the batch is served', async () => {
  const n = 30;
  const { res, location } = await getBatch({ in: keys().slice(0, n).map((k) => item(k)), strm: true });
  assert.equal(res?.status, 200);
  const xid = /\/v1\/ml\/moss\/(gbt-[^/]+)\//.exec(location!)![1]!;
  const snap = await waitFor('get-batch job finished', async () => {
    const s = await jobSnap(xid);
    return s?.state === 'finished' ? s : undefined;
  });
  assert.equal(snap.kind, 'get-batch');
  assert.equal(snap.aborted, false);
  assert.equal(Number(snap.stats['loc-objs']) + Number(snap.stats['in-objs']), n);
  // The same work item cannot be fetched twice.
  const twice = await http(location!);
  assertAisError(twice, 404, 'ErrNotFound', `work item`);
});

test('a client that never comes: after max_wait the job ends aborted and the work item is gone', async () => {
  const set = async (q: string) => {
    const r = await http(`${c.proxyUrl}/v1/cluster/set-config?${q}`, { method: 'PUT' });
    assert.equal(r.status, 200, r.text);
  };
  await set('get_batch.max_wait=1s');
  try {
    const first = await http(`${c.proxyUrl}/v1/ml/moss`, { body: JSON.stringify({ in: keys().slice(0, 20).map((k) => item(k)) }) });
    assert.equal(first.status, 307, first.text);
    const location = first.headers.get('location')!;
    const xid = /\/v1\/ml\/moss\/(gbt-[^/]+)\//.exec(location)![1]!;
    const snap = await waitFor('get-batch job aborted', async () => {
      const s = await jobSnap(xid);
      return s?.state === 'aborted' ? s : undefined;
    });
    assert.equal(snap.aborted, true);
    assert.match(snap['abort-err'], /the client did not come for work item ".+" within max_wait 1s/);
    const late = await http(location);
    assertAisError(late, 404, 'ErrNotFound', 'ended or timed out');
  } finally {
    await set('get_batch.max_wait=20s');
  }
});

test('a sender silent past max_wait (process stopped): the DT gives up on it; with coer its items are __404__', async () => {
  const smap = await getJson<Smap>(`${c.proxyUrl}/v1/cluster?what=smap`);
  const hrw = await Hrw.create();
  const cands = targetCandidates(smap);
  const ownerOf = (k: string) => {
    const slash = k.indexOf('/');
    return hrw.select(cands, bckUname('ais', k.slice(0, slash)) + k.slice(slash + 1))!.node.daemon_id;
  };
  const [x, y] = cands.map((t) => t.node.daemon_id);
  const ofX = keys().filter((k) => ownerOf(k) === x && objs.get(k)!.length > 0).slice(0, 3);
  const ofY = keys().filter((k) => ownerOf(k) === y).slice(0, 4);
  const order = [ofY[0]!, ofX[0]!, ofY[1]!, ofX[1]!, ofY[2]!, ofX[2]!, ofY[3]!];
  const set = async (q: string) => {
    const r = await http(`${c.proxyUrl}/v1/cluster/set-config?${q}`, { method: 'PUT' });
    assert.equal(r.status, 200, r.text);
  };
  const stopped = c.cluster.nodes.find((n) => n.id === x)!;
  await set('get_batch.max_wait=1s');
  process.kill(stopped.pid, 'SIGSTOP');
  try {
    // coloc=1: the DT is y, which owns most items.
    const { res, location } = await getBatch({ in: order.map((k) => item(k)), coer: true, coloc: 1 });
    assert.equal(new URL(location!).searchParams.get('tid'), y);
    assert.equal(res?.status, 200, res?.text.slice(0, 300));
    const parts = parseMultipart(res.body, /boundary=(.+)$/.exec(res.headers.get('content-type')!)![1]!);
    const meta = JSON.parse(parts[0]!.data.toString()) as { out: { objname: string; size: number; err_msg?: string }[] };
    const entries = await tarEntries(parts[1]!.data);
    assert.deepEqual(entries.map((e) => e.name), order.map((k) => (ofX.includes(k) ? `__404__/${k}` : k)));
    order.forEach((k, i) => {
      if (ofX.includes(k)) assert.match(meta.out[i]!.err_msg!, /does not exist/);
      else assert.ok(entries[i]!.data.equals(objs.get(k)!));
    });
  } finally {
    process.kill(stopped.pid, 'SIGCONT');
    await set('get_batch.max_wait=20s');
  }
});
