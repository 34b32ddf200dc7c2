// copy-bck and space-cleanup through the AIS API on one 3-target cluster: a full copy of mixed sizes
// (incl. 6 MiB objects: the chunked intra-data path) is byte-exact with the same checksums; prefix
// filter + prepend; dry-run counts and writes nothing; a copy while the source is written completes;
// bad input (onto itself 400, missing source 404, invalid bck_to 400); space-cleanup removes a stale
// work file and an orphan bucket dir and leaves live objects alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, utimes, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertAisError, http, waitFor } from '../support/cluster-helpers.ts';
import { createBucket, getObj, mountpathsOf, putObj, startObjCluster, targets, type ObjCluster } from '../support/obj-helpers.ts';

const SRC = 'cpsrc';
const OBJS_COUNT = 300;
const BIG_BYTES = 6 * 1024 * 1024;
const PUT_CONCURRENCY = 16;

interface Status {
  end_time: number;
  aborted: boolean;
  err: string;
}

let c: ObjCluster;
const objs = new Map<string, Buffer>();

function bytesOf(i: number): Buffer {
  const size = i % 50 === 7 ? BIG_BYTES : i % 10 === 0 ? 0 : (i * 7919) % 200_000;
  const b = Buffer.alloc(size);
  for (let k = 0; k < size; k += 4096) b[k] = (i + k) & 0xff;
  if (size > 0) b[size - 1] = i & 0xff;
  return b;
}

async function putAll(bck: string, entries: [string, Buffer][]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PUT_CONCURRENCY }, async () => {
      while (next < entries.length) {
        const [name, data] = entries[next++]!;
        const r = await putObj(c.proxyUrl, bck, name, data);
        assert.equal(r.status, 200, `PUT ${bck}/${name}`);
      }
    }),
  );
}

before(async () => {
  c = await startObjCluster({ targets: 3 });
  await createBucket(c.proxyUrl, SRC);
  for (let i = 0; i < OBJS_COUNT; i++) objs.set(`${i % 3 === 0 ? 'a/' : 'b/'}obj-${String(i).padStart(4, '0')}`, bytesOf(i));
  await putAll(SRC, [...objs]);
});

after(async () => {
  await c?.close();
});

async function copy(src: string, dst: string, value: unknown = {}): Promise<string> {
  const r = await http(`${c.proxyUrl}/v1/buckets/${src}?bck_to=${encodeURIComponent(`ais/@#/${dst}/`)}`, { method: 'POST', body: { action: 'copy-bck', value } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.text.length, 9);
  return r.text;
}

async function waitDone(id: string): Promise<Status> {
  return waitFor(`job ${id} ends`, async () => {
    const r = await http(`${c.proxyUrl}/v1/cluster?what=status`, { body: { id } });
    assert.equal(r.status, 200, r.text);
    const s = JSON.parse(r.text) as Status;
    return s.end_time > 0 ? s : undefined;
  }, 120_000);
}

async function stats(id: string): Promise<{ loc: number; out: number; in: number }> {
  const r = await http(`${c.proxyUrl}/v1/cluster?what=qryxstats`, { body: { id } });
  assert.equal(r.status, 200, r.text);
  const all = Object.values(JSON.parse(r.text) as Record<string, { stats: Record<string, string> }[]>).flat();
  const sum = (k: string) => all.reduce((n, s) => n + Number(s.stats[k]), 0);
  return { loc: sum('loc-objs'), out: sum('out-objs'), in: sum('in-objs') };
}

interface Entry {
  name: string;
  size: number;
  checksum: string;
}

async function list(bck: string): Promise<Entry[]> {
  const out: Entry[] = [];
  let token = '';
  for (;;) {
    const r = await http(`${c.proxyUrl}/v1/buckets/${bck}`, { body: { action: 'list', value: { props: 'name,size,checksum', continuation_token: token } } });
    assert.equal(r.status, 200, r.text);
    const page = JSON.parse(r.text) as { entries: Entry[] | null; continuation_token: string };
    out.push(...(page.entries ?? []));
    token = page.continuation_token;
    if (!token) return out;
  }
}

test('copy-bck: the destination is created and equals the source, byte for byte', async () => {
  const id = await copy(SRC, 'cpdst');
  const s = await waitDone(id);
  assert.equal(s.aborted, false, s.err);
  const src = await list(SRC);
  const dst = await list('cpdst');
  assert.equal(src.length, OBJS_COUNT);
  assert.deepEqual(dst, src);
  for (const [name, data] of objs) {
    const { res, body } = await getObj(c.proxyUrl, 'cpdst', name);
    assert.equal(res.status, 200, name);
    assert.ok(body.equals(data), `${name}: content differs`);
  }
  const st = await stats(id);
  assert.equal(st.loc, OBJS_COUNT);
  assert.equal(st.out, st.in, 'every object sent was received');
  assert.ok(st.out > 0, 'some objects travelled between targets');
});

test('copy-bck: prefix filter and prepend', async () => {
  const id = await copy(SRC, 'cpprefix', { prefix: 'a/', prepend: 'x-' });
  assert.equal((await waitDone(id)).aborted, false);
  const names = (await list('cpprefix')).map((e) => e.name);
  const want = [...objs.keys()].filter((n) => n.startsWith('a/')).map((n) => `x-${n}`).sort();
  assert.deepEqual(names, want);
  const { body } = await getObj(c.proxyUrl, 'cpprefix', want[0]!);
  assert.ok(body.equals(objs.get(want[0]!.slice(2))!));
});

test('copy-bck: dry-run counts and copies nothing', async () => {
  await createBucket(c.proxyUrl, 'cpdry');
  const id = await copy(SRC, 'cpdry', { dry_run: true });
  assert.equal((await waitDone(id)).aborted, false);
  assert.equal((await stats(id)).loc, OBJS_COUNT);
  assert.deepEqual(await list('cpdry'), []);
});

test('copy-bck while the source is being written: completes, every copied object is intact', async () => {
  const extra: [string, Buffer][] = Array.from({ length: 100 }, (_, i) => [`live/obj-${i}`, createHash('sha256').update(String(i)).digest()]);
  const writing = putAll(SRC, extra);
  const id = await copy(SRC, 'cplive');
  const s = await waitDone(id);
  await writing;
  assert.equal(s.aborted, false, s.err);
  for (const e of await list('cplive')) {
    const want = objs.get(e.name) ?? extra.find(([n]) => n === e.name)?.[1];
    const { body } = await getObj(c.proxyUrl, 'cplive', e.name);
    assert.ok(want !== undefined && body.equals(want), e.name);
  }
});

test('copy-bck bad input: onto itself 400, missing source 404, invalid bck_to 400', async () => {
  const url = (src: string, to: string) => `${c.proxyUrl}/v1/buckets/${src}?bck_to=${encodeURIComponent(to)}`;
  const body = { action: 'copy-bck', value: {} };
  assertAisError(await http(url(SRC, `ais/@#/${SRC}/`), { method: 'POST', body }), 400, 'ErrInvalidArgument', 'onto itself');
  assertAisError(await http(url('nosuchbck', 'ais/@#/cpx/'), { method: 'POST', body }), 404, 'ErrBckNotFound');
  assertAisError(await http(url(SRC, 'not-a-uname'), { method: 'POST', body }), 400, 'ErrInvalidArgument', 'invalid destination');
  assertAisError(await http(`${c.proxyUrl}/v1/buckets/${SRC}`, { method: 'POST', body }), 400, 'ErrInvalidArgument', 'bck_to');
});

test('space-cleanup: removes a stale work file and an orphan bucket dir, keeps live objects', async () => {
  const t = targets(c.cluster)[0]!;
  const mp = (await mountpathsOf(t))[0]!;
  const wk = join(mp, '@ais', SRC, '%wk');
  await mkdir(wk, { recursive: true });
  const stale = join(wk, 'stale-work-file');
  const fresh = join(wk, 'fresh-work-file');
  await writeFile(stale, Buffer.alloc(1000));
  await writeFile(fresh, Buffer.alloc(10));
  const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
  await utimes(stale, old, old);
  const orphan = join(mp, '@ais', 'orphanbck');
  await mkdir(join(orphan, '%ob', 'dir'), { recursive: true });
  await writeFile(join(orphan, '%ob', 'dir', 'o1'), Buffer.alloc(500));
  const r = await http(`${c.proxyUrl}/v1/cluster`, { method: 'PUT', body: { action: 'start', value: { Kind: 'cleanup-store' } } });
  assert.equal(r.status, 200, r.text);
  const s = await waitDone(r.text);
  assert.equal(s.aborted, false, s.err);
  const gone = async (p: string) => stat(p).then(() => false, () => true);
  assert.ok(await gone(stale), 'stale work file removed');
  assert.ok(!(await gone(fresh)), 'a fresh work file stays');
  assert.ok(await gone(orphan), 'orphan bucket dir removed');
  assert.ok((await stats(r.text)).loc >= 2);
  const [name, data] = [...objs][1]!;
  const { res, body } = await getObj(c.proxyUrl, SRC, name);
  assert.equal(res.status, 200);
  assert.ok(body.equals(data));
  assert.equal((await list(SRC)).length, OBJS_COUNT + 100);
});
