// Buckets on a real cluster: create/list/HEAD/props, BMD metasync, two-phase create and destroy on
// every target's mountpaths, and the exact AIS error for each bad input.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { startLocalCluster, type LocalCluster } from '../../deploy/local/cluster.ts';
import type { Bprops } from '../../protocol/bmd.ts';
import {
  assertAisError, createBucket, destroyBucket, getJson, http, makeTempDir, putObjects, removeDir, versionOf, waitFor,
} from '../support/cluster-helpers.ts';

const BCK_NAME_LEN_MAX = 64;
const CUSTOM_LEN_MAX = 128;

interface BmdView {
  version: string;
  uuid: string;
  providers: Record<string, Record<string, Record<string, Bprops>>>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

describe('buckets', () => {
  let dir: string | undefined;
  let cluster: LocalCluster;
  let url: string;
  /** target id → its mountpaths (config.json fspaths). */
  const mountpaths = new Map<string, string[]>();

  before(async () => {
    dir = await makeTempDir();
    cluster = await startLocalCluster({ dir, proxies: 1, targets: 3, mountpathsPerTarget: 2 });
    url = cluster.proxyUrl;
    for (const n of cluster.nodes.filter((x) => x.role === 'target')) {
      const cfg = JSON.parse(await readFile(n.configPath, 'utf8')) as { fspaths: Record<string, string> };
      mountpaths.set(n.id, Object.keys(cfg.fspaths));
    }
  });
  after(async () => {
    await cluster?.stop();
    await removeDir(dir);
  });

  const targets = () => cluster.nodes.filter((n) => n.role === 'target');
  const bucketDirs = (name: string) => [...mountpaths.values()].flat().map((mp) => `${mp}/@ais/${name}`);

  async function headProps(name: string): Promise<Bprops> {
    const r = await http(`${url}/v1/buckets/${name}`, { method: 'HEAD' });
    assert.equal(r.status, 200, `HEAD ${name}: ${r.status} ${r.headers.get('hdr-error')}`);
    const raw = r.headers.get('ais-bucket-props');
    assert.ok(raw, 'HEAD bucket carries ais-bucket-props');
    return JSON.parse(raw) as Bprops;
  }

  async function patch(name: string, body: unknown) {
    return http(`${url}/v1/buckets/${name}`, { method: 'PATCH', body });
  }

  async function bmdConverged(): Promise<BmdView> {
    const ref = await getJson<BmdView>(`${url}/v1/cluster?what=bmd`);
    for (const t of targets()) {
      await waitFor(`${t.id} BMD v${ref.version}`, async () => {
        const own = await getJson<BmdView>(`${t.publicUrl}/v1/daemon?what=bmd`);
        return versionOf(own) >= versionOf(ref) ? true : undefined;
      });
      const own = await getJson<BmdView>(`${t.publicUrl}/v1/daemon?what=bmd`);
      const cur = await getJson<BmdView>(`${url}/v1/cluster?what=bmd`);
      assert.equal(own.version, cur.version, `${t.id} has the primary's BMD version`);
      assert.equal(own.uuid, cur.uuid);
    }
    return ref;
  }

  test('create-bck → 200; listed with provider and namespace; HEAD gives default props', async () => {
    const r = await http(`${url}/v1/buckets/alpha`, { method: 'POST', body: { action: 'create-bck' } });
    assert.equal(r.status, 200, r.text);
    const list = await getJson<{ name: string; provider: string; namespace: { uuid: string; name: string } }[]>(`${url}/v1/buckets`);
    const b = list.find((x) => x.name === 'alpha');
    assert.ok(b, 'alpha is listed');
    assert.equal(b.provider, 'ais');
    assert.deepEqual(b.namespace, { uuid: '', name: '' });
    const props = await headProps('alpha');
    assert.equal(props.provider, 'ais');
    assert.equal(props.checksum.type, 'xxhash2');
    assert.equal(props.versioning.enabled, true);
    assert.match(props.created, /^[0-9]+$/, 'created: unix ns as a string');
    assert.match(props.bid, /^[0-9]+$/, 'bid: u64 as a string');
    assert.match(props.access, /^[0-9]+$/);
  });

  test('create-bck with props value sets them', async () => {
    await createBucket(url, 'withmd5', { checksum: { type: 'md5' } });
    const props = await headProps('withmd5');
    assert.equal(props.checksum.type, 'md5');
    assert.equal(props.versioning.enabled, true, 'unset props keep their defaults');
  });

  test('set-bprops changes checksum, versioning and extra.custom; reset-bprops restores defaults; BMD grows and converges', async () => {
    await createBucket(url, 'props');
    const v0 = versionOf(await bmdConverged());
    const r = await patch('props', { action: 'set-bprops', value: { checksum: { type: 'sha256' }, versioning: { enabled: false }, extra: { custom: 'team=vision' } } });
    assert.equal(r.status, 200, r.text);
    let props = await headProps('props');
    assert.equal(props.checksum.type, 'sha256');
    assert.equal(props.versioning.enabled, false);
    assert.equal(props.extra.custom, 'team=vision');
    const v1 = versionOf(await bmdConverged());
    assert.ok(v1 > v0, `set-bprops bumps the BMD (${v0} → ${v1})`);
    for (const t of targets()) {
      const own = await getJson<BmdView>(`${t.publicUrl}/v1/daemon?what=bmd`);
      assert.equal(own.providers.ais?.['@#']?.props?.checksum.type, 'sha256', `${t.id} sees the new props`);
    }

    const rr = await patch('props', { action: 'reset-bprops' });
    assert.equal(rr.status, 200, rr.text);
    props = await headProps('props');
    assert.equal(props.checksum.type, 'xxhash2');
    assert.equal(props.versioning.enabled, true);
    assert.ok(!props.extra.custom, 'extra.custom is cleared');
    const v2 = versionOf(await bmdConverged());
    assert.ok(v2 > v1, `reset-bprops bumps the BMD (${v1} → ${v2})`);
  });

  test('two-phase create and destroy: bucket dirs on every mountpath of every target, then gone; GET → 404 ErrBckNotFound', async () => {
    assert.equal(bucketDirs('twophase').length, 6, '3 targets × 2 mountpaths');
    const v0 = versionOf(await getJson<BmdView>(`${url}/v1/cluster?what=bmd`));
    await createBucket(url, 'twophase');
    for (const d of bucketDirs('twophase')) assert.ok(await exists(d), `${d} exists after create-bck`);
    assert.ok(versionOf(await bmdConverged()) > v0);

    await putObjects(url, 'twophase', Array.from({ length: 30 }, (_, i) => `o${i}`));
    const got = await fetch(`${url}/v1/objects/twophase/o7`);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'o7');

    await destroyBucket(url, 'twophase');
    for (const d of bucketDirs('twophase')) assert.ok(!(await exists(d)), `${d} is removed after destroy-bck`);
    await bmdConverged();
    const r = await http(`${url}/v1/objects/twophase/o7`);
    assertAisError(r, 404, 'ErrBckNotFound', 'twophase');
    const list = await getJson<{ name: string }[]>(`${url}/v1/buckets`);
    assert.ok(!list.some((b) => b.name === 'twophase'), 'not listed after destroy');
    // every target refuses it too
    for (const t of targets()) {
      const rt = await http(`${t.publicUrl}/v1/objects/twophase/o7`);
      assertAisError(rt, 404, 'ErrBckNotFound');
    }
  });

  // ---- bad input --------------------------------------------------------------------------------

  for (const [what, name] of [
    ['double dot', 'a..b'],
    ['65 bytes', 'x'.repeat(BCK_NAME_LEN_MAX + 1)],
    ['dollar sign', 'bad$name'],
    ['leading dot', '.hidden'],
  ] as const) {
    test(`invalid bucket name (${what}) → 400 ErrInvalidBckName`, async () => {
      const r = await http(`${url}/v1/buckets/${encodeURIComponent(name)}`, { method: 'POST', body: { action: 'create-bck' } });
      assertAisError(r, 400, 'ErrInvalidBckName', name);
      const list = await getJson<{ name: string }[]>(`${url}/v1/buckets`);
      assert.ok(!list.some((b) => b.name === name), 'nothing was created');
    });
  }

  test('a 64-byte name is accepted (the limit is inclusive)', async () => {
    const name = 'y'.repeat(BCK_NAME_LEN_MAX);
    await createBucket(url, name);
    await headProps(name);
  });

  test('create an existing bucket → 409 ErrBckAlreadyExists, props untouched', async () => {
    await createBucket(url, 'dup', { checksum: { type: 'md5' } });
    const r = await http(`${url}/v1/buckets/dup`, { method: 'POST', body: { action: 'create-bck', value: { checksum: { type: 'sha512' } } } });
    assertAisError(r, 409, 'ErrBckAlreadyExists', 'dup');
    assert.equal((await headProps('dup')).checksum.type, 'md5');
  });

  test('destroy a missing bucket → 404 ErrBckNotFound', async () => {
    const r = await http(`${url}/v1/buckets/nosuch`, { method: 'DELETE', body: { action: 'destroy-bck' } });
    assertAisError(r, 404, 'ErrBckNotFound', 'nosuch');
  });

  test('HEAD a missing bucket → 404 with ErrBckNotFound in hdr-error', async () => {
    const r = await http(`${url}/v1/buckets/nosuch`, { method: 'HEAD' });
    assertAisError(r, 404, 'ErrBckNotFound', 'nosuch', true);
  });

  test('list objects of a missing bucket → 404 ErrBckNotFound', async () => {
    const r = await http(`${url}/v1/buckets/nosuch`, { method: 'GET', body: { action: 'list', value: {} } });
    assertAisError(r, 404, 'ErrBckNotFound', 'nosuch');
  });

  test('malformed action JSON → 400 ErrBadActMsg', async () => {
    const r = await http(`${url}/v1/buckets/badjson`, { method: 'POST', body: '{"action":', headers: { 'content-type': 'application/json' } });
    assertAisError(r, 400, 'ErrBadActMsg', 'JSON');
    assert.equal((await http(`${url}/v1/buckets/badjson`, { method: 'HEAD' })).status, 404, 'nothing was created');
  });

  test('create-bck without a body → 400 ErrBadActMsg', async () => {
    const r = await http(`${url}/v1/buckets/nobody`, { method: 'POST' });
    assertAisError(r, 400, 'ErrBadActMsg', 'action');
    assert.equal((await http(`${url}/v1/buckets/nobody`, { method: 'HEAD' })).status, 404, 'nothing was created');
  });

  test('unknown action → 400 ErrUnknownAction', async () => {
    const r = await http(`${url}/v1/buckets/alpha`, { method: 'POST', body: { action: 'frobnicate' } });
    assertAisError(r, 400, 'ErrUnknownAction', 'frobnicate');
  });

  test('set-bprops with a 129-char extra.custom → 400 ErrInvalidArgument, props unchanged', async () => {
    await createBucket(url, 'custom');
    const ok = await patch('custom', { action: 'set-bprops', value: { extra: { custom: 'c'.repeat(CUSTOM_LEN_MAX) } } });
    assert.equal(ok.status, 200, `128 chars is allowed: ${ok.text}`);
    const r = await patch('custom', { action: 'set-bprops', value: { extra: { custom: 'c'.repeat(CUSTOM_LEN_MAX + 1) } } });
    assertAisError(r, 400, 'ErrInvalidArgument', 'custom');
    assert.equal((await headProps('custom')).extra.custom, 'c'.repeat(CUSTOM_LEN_MAX));
  });

  test('set-bprops with a control character in extra.custom → 400 ErrInvalidArgument', async () => {
    await createBucket(url, 'ctrlchar');
    const r = await patch('ctrlchar', { action: 'set-bprops', value: { extra: { custom: 'a\u0001b' } } });
    assertAisError(r, 400, 'ErrInvalidArgument', 'control');
    assert.ok(!(await headProps('ctrlchar')).extra.custom);
  });

  test('set-bprops with an unknown property → 400 ErrInvalidArgument naming it', async () => {
    const r = await patch('alpha', { action: 'set-bprops', value: { frobnication: { level: 3 } } });
    assertAisError(r, 400, 'ErrInvalidArgument', 'frobnication');
    const r2 = await patch('alpha', { action: 'set-bprops', value: { checksum: { type: 'crc64' } } });
    assertAisError(r2, 400, 'ErrInvalidArgument');
    assert.equal((await headProps('alpha')).checksum.type, 'xxhash2', 'props unchanged');
  });

  test('set-bprops on a missing bucket → 404 ErrBckNotFound', async () => {
    const r = await patch('nosuch', { action: 'set-bprops', value: { versioning: { enabled: false } } });
    assertAisError(r, 404, 'ErrBckNotFound', 'nosuch');
  });

  test('PUT /v1/buckets/B → 405 ErrMethodNotAllowed with an allow header', async () => {
    const r = await http(`${url}/v1/buckets/alpha`, { method: 'PUT', body: { action: 'create-bck' } });
    assertAisError(r, 405, 'ErrMethodNotAllowed', 'PUT');
    const allow = r.headers.get('allow');
    assert.ok(allow, 'allow header is set');
    for (const m of ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE']) assert.ok(allow.split(/,\s*/).includes(m), `allow lists ${m}: ${allow}`);
    assert.ok(!allow.split(/,\s*/).includes('PUT'));
  });
});
