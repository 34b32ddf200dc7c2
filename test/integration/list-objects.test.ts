// List objects (AIS §2.4) on a real cluster: ~2 500 objects over 3 targets; paging by continuation
// token, prefix, start_after, props, msgpack, non-recursive mode, target pinning and bad input.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { unpack } from 'msgpackr';
import { startLocalCluster, type LocalCluster } from '../../deploy/local/cluster.ts';
import { assertAisError, createBucket, http, makeTempDir, putObjects, removeDir, type HttpResult } from '../support/cluster-helpers.ts';

const BUCKET = 'lso';
const NESTED_COUNT = 2_500;
const TOP_LEVEL = ['a-first', 'top-a', 'top-b', 'zz-last'];
const PAGE_SIZE = 1_000;
const PAGES_MAX = 1_000;
const LIST_PAGE_SIZE_MAX = 10_000;
const IS_DIR = 256;
const NO_RECURSION = '2048';

interface LsoEnt {
  name: string;
  size?: string;
  checksum?: string;
  atime?: string;
  version?: string;
  'custom-md'?: string;
  location?: string;
  flags?: number;
}
interface LsoRes {
  uuid: string;
  continuation_token: string;
  entries: LsoEnt[] | null;
  flags: number;
}

function nestedName(i: number): string {
  return `dir${i % 10}/sub${Math.floor(i / 10) % 5}/obj-${String(i).padStart(4, '0')}`;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('list objects', () => {
  let dir: string | undefined;
  let cluster: LocalCluster;
  let url: string;
  const all: string[] = [];

  before(async () => {
    dir = await makeTempDir();
    cluster = await startLocalCluster({ dir, proxies: 1, targets: 3 });
    url = cluster.proxyUrl;
    await createBucket(url, BUCKET);
    for (let i = 0; i < NESTED_COUNT; i++) all.push(nestedName(i));
    all.push(...TOP_LEVEL);
    all.sort(byBytes);
    await putObjects(url, BUCKET, all);
    await putObjects(url, BUCKET, ['top-b']); // overwrite: version 2
    await setCustom('top-a', { team: 'vision' });
  });
  after(async () => {
    await cluster?.stop();
    await removeDir(dir);
  });

  async function setCustom(obj: string, md: Record<string, string>): Promise<void> {
    const body = { value: md };
    let r = await http(`${url}/v1/objects/${BUCKET}/${obj}`, { method: 'PATCH', body });
    if (r.status === 307) r = await http(r.headers.get('location')!, { method: 'PATCH', body });
    assert.equal(r.status, 200, `PATCH custom md: ${r.status} ${r.text}`);
  }

  function listRaw(value: Record<string, unknown>, headers: Record<string, string> = {}): Promise<HttpResult> {
    return http(`${url}/v1/buckets/${BUCKET}`, { method: 'GET', body: { action: 'list', value }, headers });
  }

  async function list(value: Record<string, unknown>): Promise<LsoRes> {
    const r = await listRaw(value);
    assert.equal(r.status, 200, `list ${JSON.stringify(value)}: ${r.status} ${r.text}`);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    return JSON.parse(r.text) as LsoRes;
  }

  /** Follows continuation_token until empty; returns every entry and the page sizes. */
  async function listAll(value: Record<string, unknown>): Promise<{ entries: LsoEnt[]; pages: number[] }> {
    const entries: LsoEnt[] = [];
    const pages: number[] = [];
    let token = '';
    let uuid = '';
    for (let i = 0; i < PAGES_MAX; i++) {
      const res = await list({ ...value, continuation_token: token, uuid });
      assert.equal(typeof res.uuid, 'string');
      if (uuid !== '') assert.equal(res.uuid, uuid, 'the listing uuid is echoed back');
      uuid = res.uuid;
      const page = res.entries ?? [];
      pages.push(page.length);
      entries.push(...page);
      if (res.continuation_token === '') return { entries, pages };
      assert.equal(res.continuation_token, page[page.length - 1]?.name, 'the token is the last name of the page');
      token = res.continuation_token;
    }
    throw new Error(`listing did not end within ${PAGES_MAX} pages`);
  }

  const names = (es: LsoEnt[]) => es.map((e) => e.name);

  test('pagesize 1000: continuation tokens cover every name exactly once, in order', async () => {
    const { entries, pages } = await listAll({ pagesize: PAGE_SIZE, props: 'name' });
    for (const n of pages) assert.ok(n <= PAGE_SIZE, `page of ${n} > ${PAGE_SIZE}`);
    assert.ok(pages.length >= Math.ceil(all.length / PAGE_SIZE), `pages: ${pages.join(',')}`);
    assert.equal(pages.slice(0, 2).every((n) => n === PAGE_SIZE), true, `full pages first: ${pages.join(',')}`);
    assert.equal(new Set(names(entries)).size, entries.length, 'no duplicates');
    assert.deepEqual(names(entries), all);
  });

  test('every target holds a share; target-pinned listings are disjoint and complete', async () => {
    const per: string[][] = [];
    for (const t of cluster.nodes.filter((n) => n.role === 'target')) {
      const { entries } = await listAll({ target: t.id, props: 'name' });
      assert.ok(entries.length > all.length / 10, `${t.id} holds ${entries.length} objects`);
      per.push(names(entries));
    }
    const union = per.flat();
    assert.equal(new Set(union).size, union.length, 'each object lives on exactly one target');
    assert.deepEqual([...union].sort(byBytes), all);
  });

  test('prefix selects exactly the names under it', async () => {
    for (const prefix of ['dir3/', 'dir3/sub2/', 'top-', 'dir9/sub4/obj-24', 'nothing-here/']) {
      const { entries } = await listAll({ prefix, pagesize: 100, props: 'name' });
      assert.deepEqual(names(entries), all.filter((n) => n.startsWith(prefix)), `prefix ${prefix}`);
    }
    assert.equal(all.filter((n) => n.startsWith('dir3/')).length, 250);
  });

  test('start_after lists only the names after it', async () => {
    for (const startAfter of ['dir5/sub0/obj-0005', 'dir9/', 'top-a', 'zz-last']) {
      const { entries } = await listAll({ start_after: startAfter, pagesize: PAGE_SIZE, props: 'name' });
      assert.deepEqual(names(entries), all.filter((n) => byBytes(n, startAfter) > 0), `start_after ${startAfter}`);
    }
  });

  test('props "name,size": size is a JSON string, no checksum or atime', async () => {
    const res = await list({ props: 'name,size', prefix: 'dir1/' });
    const es = res.entries ?? [];
    assert.equal(es.length, 250);
    for (const e of es) {
      assert.equal(typeof e.size, 'string', `${e.name}: size is a string`);
      assert.equal(e.size, String(Buffer.byteLength(e.name)), 'size = bytes PUT (the body is the name)');
      assert.equal(e.checksum, undefined);
      assert.equal(e.atime, undefined);
      assert.equal(e.version, undefined);
    }
  });

  test('default props are name, size, checksum, atime', async () => {
    const res = await list({ prefix: 'top-' });
    const es = res.entries ?? [];
    assert.deepEqual(names(es), ['top-a', 'top-b']);
    for (const e of es) {
      assert.equal(e.size, String(Buffer.byteLength(e.name)));
      assert.equal(typeof e.checksum, 'string');
      assert.ok(e.checksum!.length > 0, 'checksum value');
      assert.equal(typeof e.atime, 'string');
      assert.ok(e.atime!.length > 0, 'atime');
      assert.equal(e.version, undefined, 'version is not a default prop');
    }
  });

  test('props "name,version,custom": versions and custom metadata, nothing else', async () => {
    const res = await list({ props: 'name,version,custom', prefix: 'top-' });
    const es = res.entries ?? [];
    const a = es.find((e) => e.name === 'top-a');
    const b = es.find((e) => e.name === 'top-b');
    assert.ok(a && b);
    assert.equal(a.version, '1');
    assert.equal(b.version, '2', 'overwritten once');
    assert.equal(a['custom-md'], '[team:vision]');
    assert.equal(b['custom-md'], undefined);
    for (const e of es) {
      assert.equal(e.size, undefined);
      assert.equal(e.checksum, undefined);
      assert.equal(e.atime, undefined);
    }
  });

  test('Accept: application/msgpack → LsoRes with Go field names and short entry keys', async () => {
    const r = await listRaw({ pagesize: 100, props: 'name,size,checksum' }, { accept: 'application/msgpack' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /application\/msgpack/);
    const res = unpack(r.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(res).sort(), ['ContinuationToken', 'Entries', 'Flags', 'UUID']);
    assert.equal(typeof res.UUID, 'string');
    const entries = res.Entries as Record<string, unknown>[];
    assert.equal(entries.length, 100);
    assert.equal(res.ContinuationToken, entries[99]!.n, 'more pages follow');
    assert.deepEqual(entries.map((e) => e.n), all.slice(0, 100));
    for (const e of entries) {
      assert.equal(typeof e.s, 'number', 'msgpack size is a number');
      assert.equal(e.s, Buffer.byteLength(e.n as string));
      assert.equal(typeof e.cs, 'string');
      assert.equal(e.name, undefined, 'long JSON keys are not used');
    }
  });

  test('non-recursive at the root: virtual dirN/ dirs (IsDir) plus top-level objects', async () => {
    const res = await list({ flags: NO_RECURSION, props: 'name,size' });
    assert.equal(res.continuation_token, '');
    const es = res.entries ?? [];
    const dirs = Array.from({ length: 10 }, (_, i) => `dir${i}/`);
    assert.deepEqual(names(es), [...dirs, ...TOP_LEVEL].sort(byBytes));
    for (const e of es) {
      if (e.name.endsWith('/')) {
        assert.equal((e.flags ?? 0) & IS_DIR, IS_DIR, `${e.name} is flagged as a dir`);
        assert.equal(e.size, undefined, 'a dir has no size');
      } else {
        assert.equal((e.flags ?? 0) & IS_DIR, 0, `${e.name} is an object`);
        assert.equal(e.size, String(Buffer.byteLength(e.name)));
      }
    }
  });

  test('non-recursive with prefix dir1/: the subK/ dirs', async () => {
    const res = await list({ flags: NO_RECURSION, prefix: 'dir1/' });
    const es = res.entries ?? [];
    assert.deepEqual(names(es), ['dir1/sub0/', 'dir1/sub1/', 'dir1/sub2/', 'dir1/sub3/', 'dir1/sub4/']);
    for (const e of es) assert.equal((e.flags ?? 0) & IS_DIR, IS_DIR);
  });

  test('non-recursive paging with a small pagesize is complete and has no duplicates', async () => {
    const full = await list({ flags: NO_RECURSION, props: 'name' });
    for (const pagesize of [1, 3, 4]) {
      const { entries, pages } = await listAll({ flags: NO_RECURSION, pagesize, props: 'name' });
      for (const n of pages) assert.ok(n <= pagesize, `page of ${n} > ${pagesize}`);
      assert.deepEqual(names(entries), names(full.entries ?? []), `pagesize ${pagesize}`);
    }
    const sub = await listAll({ flags: NO_RECURSION, prefix: 'dir7/', pagesize: 2, props: 'name' });
    assert.deepEqual(names(sub.entries), ['dir7/sub0/', 'dir7/sub1/', 'dir7/sub2/', 'dir7/sub3/', 'dir7/sub4/']);
  });

  test('pagesize above 10000 is clamped, not refused', async () => {
    const res = await list({ pagesize: LIST_PAGE_SIZE_MAX * 5, props: 'name' });
    assert.equal(res.continuation_token, '');
    assert.deepEqual(names(res.entries ?? []), all);
  });

  test('invalid props → 400 ErrInvalidArgument naming the property', async () => {
    const r = await listRaw({ props: 'name,bogus' });
    assertAisError(r, 400, 'ErrInvalidArgument', 'bogus');
  });

  test('non-numeric flags → 400 ErrInvalidArgument', async () => {
    const r = await listRaw({ flags: 'abc' });
    assertAisError(r, 400, 'ErrInvalidArgument', 'flags');
  });

  test('a negative pagesize → 400 ErrInvalidArgument', async () => {
    const r = await listRaw({ pagesize: -1 });
    assertAisError(r, 400, 'ErrInvalidArgument', 'pagesize');
  });
});
