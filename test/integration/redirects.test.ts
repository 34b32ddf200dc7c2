// Object requests at the proxy: 307 to the HRW owner (Location shape, query kept, pid/utm added),
// placement (stable per name, spread over all targets, file only on the owner), then reverse-proxy
// mode turned on at runtime: the proxy answers object requests itself, bytes and errors relayed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { xxhash64 } from 'hash-wasm';
import { Hrw } from '../../nodes/cluster/hrw.ts';
import {
  createBucket, getObj, objFilesOn, objUrl, parseAisError, pollUntil, putObj, redirectLocation, startObjCluster, targetByUrl, targets,
  type ObjCluster,
} from '../support/obj-helpers.ts';

const BCK = 'redir';
const MIB = 1024 * 1024;
/** Names used to check that placement reaches every target (3 targets: missing one is ~1e-10). */
const SPREAD_NAMES = 60;
/** Bound on the new config reaching the proxy after set-config. */
const CONFIG_PROPAGATION_TIMEOUT_MS = 10_000;

let c: ObjCluster;
let proxyId: string;

before(async () => {
  c = await startObjCluster();
  proxyId = c.cluster.nodes.find((n) => n.role === 'proxy')!.id;
  await createBucket(c.proxyUrl, BCK);
});

after(async () => {
  await c?.close();
});

interface SmapTarget {
  id_digest: string;
  public_net: { direct_url: string };
}

/** The HRW owner computed here from the Smap, independently of the proxy's answer. */
async function expectedOwnerUrl(obj: string): Promise<string> {
  const res = await fetch(`${c.proxyUrl}/v1/cluster?what=smap`);
  const smap = (await res.json()) as { tmap: Record<string, SmapTarget> };
  const hrw = await Hrw.create();
  const cands = Object.values(smap.tmap).map((t) => ({ digest: BigInt(t.id_digest), url: t.public_net.direct_url }));
  return hrw.select(cands, `ais/@#/${BCK}/${obj}`)!.url;
}

describe('redirect mode (default)', () => {
  for (const method of ['GET', 'PUT', 'HEAD', 'DELETE']) {
    test(`${method} at the proxy → 307 to <target>/v1/objects/<b>/<o>?<query>&pid&utm`, async () => {
      const obj = 'dir/obj-1';
      const res = await fetch(objUrl(c.proxyUrl, BCK, obj, '?provider=ais'), { method, redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 307);
      const loc = new URL(res.headers.get('location') ?? '');
      const owner = targetByUrl(c.cluster, loc.href);
      assert.equal(loc.origin, new URL(owner.publicUrl).origin);
      assert.equal(loc.origin, new URL(await expectedOwnerUrl(obj)).origin, 'the HRW owner');
      assert.equal(loc.pathname, `/v1/objects/${BCK}/${obj}`);
      assert.equal(loc.searchParams.get('provider'), 'ais', 'original query kept');
      assert.equal(loc.searchParams.get('pid'), proxyId);
      assert.match(loc.searchParams.get('utm') ?? '', /^\d{19}$/, 'utm is unix ns');
    });
  }

  test('the same object always goes to the same target, for every method', async () => {
    const obj = 'stable/name';
    const first = new URL(await redirectLocation(c.proxyUrl, 'GET', BCK, obj)).origin;
    for (const method of ['GET', 'PUT', 'HEAD', 'DELETE', 'GET', 'PUT']) {
      assert.equal(new URL(await redirectLocation(c.proxyUrl, method, BCK, obj)).origin, first, method);
    }
  });

  test('different names spread over all 3 targets, each to its HRW owner', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < SPREAD_NAMES; i++) {
      const obj = `spread/o-${i}`;
      const origin = new URL(await redirectLocation(c.proxyUrl, 'GET', BCK, obj)).origin;
      assert.equal(origin, new URL(await expectedOwnerUrl(obj)).origin, obj);
      seen.add(origin);
    }
    assert.equal(seen.size, 3, `targets reached: ${[...seen].join(', ')}`);
  });

  test('the object file exists only on the owning target', async () => {
    for (let i = 0; i < 6; i++) {
      const obj = `placed/o-${i}`;
      const res = await putObj(c.proxyUrl, BCK, obj, randomBytes(100));
      assert.equal(res.status, 200);
      const owner = targetByUrl(c.cluster, await redirectLocation(c.proxyUrl, 'GET', BCK, obj));
      for (const t of targets(c.cluster)) {
        const files = await objFilesOn(t, BCK, obj);
        assert.equal(files.length, t.id === owner.id ? 1 : 0, `${obj} on ${t.id} (owner ${owner.id}): ${files.join(', ')}`);
      }
    }
  });
});

describe('reverse-proxy mode (turned on at runtime)', () => {
  const obj = 'rp/obj';
  const data = randomBytes(4321);

  before(async () => {
    const res = await fetch(`${c.proxyUrl}/v1/cluster/set-config?features=Reverse-Proxy`, { method: 'PUT' });
    assert.equal(res.status, 200, await res.text());
  });

  test('cluster_config reflects the feature', async () => {
    const res = await fetch(`${c.proxyUrl}/v1/cluster?what=cluster_config`);
    assert.equal(res.status, 200);
    const cfg = (await res.json()) as { features: string; features_names?: string[] };
    assert.notEqual(cfg.features, '0');
    assert.deepEqual(cfg.features_names, ['Reverse-Proxy']);
    const direct = await pollUntil(async () => {
      const r = await fetch(objUrl(c.proxyUrl, BCK, 'rp/absent'), { redirect: 'manual' });
      await r.arrayBuffer();
      return r.status !== 307;
    }, CONFIG_PROPAGATION_TIMEOUT_MS);
    assert.ok(direct, 'the proxy stops redirecting');
  });

  test('PUT at the proxy → 200 directly (no 307)', async () => {
    const res = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'PUT', body: data, redirect: 'manual' });
    await res.arrayBuffer();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('location'), null);
  });

  test('GET at the proxy → 200 with the bytes and property headers', async () => {
    const { res, body } = await getObj(c.proxyUrl, BCK, obj, { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.ok(body.equals(data));
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(res.headers.get('ais-checksum-type'), 'xxhash2');
    assert.equal(res.headers.get('ais-checksum-value'), await xxhash64(data, 0, 0));
    assert.equal(res.headers.get('ais-version'), '1');
    assert.match(res.headers.get('ais-atime') ?? '', /^\d+$/);
  });

  test('8 MiB PUT and GET through the proxy are byte-exact', async () => {
    const big = randomBytes(8 * MIB);
    const put = await fetch(objUrl(c.proxyUrl, BCK, 'rp/big'), { method: 'PUT', body: big, redirect: 'manual' });
    await put.arrayBuffer();
    assert.equal(put.status, 200);
    const { res, body } = await getObj(c.proxyUrl, BCK, 'rp/big', { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.equal(body.length, big.length);
    assert.ok(body.equals(big));
  });

  test('errors are relayed: GET of a missing object → 404 with its JSON', async () => {
    const { res, body } = await getObj(c.proxyUrl, BCK, 'rp/missing', { redirect: 'manual' });
    assert.equal(res.status, 404);
    const err = parseAisError(body);
    assert.equal(err.tcode, 'ErrObjNotFound');
    assert.equal(err.status, 404);
    assert.match(err.message, /rp\/missing/);
  });

  test('DELETE at the proxy → 200 directly, then GET → 404', async () => {
    const victim = 'rp/del';
    const put = await fetch(objUrl(c.proxyUrl, BCK, victim), { method: 'PUT', body: data, redirect: 'manual' });
    await put.arrayBuffer();
    assert.equal(put.status, 200);
    const del = await fetch(objUrl(c.proxyUrl, BCK, victim), { method: 'DELETE', redirect: 'manual' });
    await del.arrayBuffer();
    assert.equal(del.status, 200);
    const { res, body } = await getObj(c.proxyUrl, BCK, victim, { redirect: 'manual' });
    assert.equal(res.status, 404);
    assert.equal(parseAisError(body).tcode, 'ErrObjNotFound');
  });

  test('HEAD at the proxy → 200 with the props', async () => {
    const res = await fetch(objUrl(c.proxyUrl, BCK, obj), { method: 'HEAD', redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), String(data.length));
    assert.equal(res.headers.get('ais-name'), obj);
    assert.equal(res.headers.get('ais-present'), 'true');
    assert.equal(res.headers.get('ais-checksum-value'), await xxhash64(data, 0, 0));
    // the proxy must still be serving after relaying a HEAD
    const health = await fetch(`${c.proxyUrl}/v1/health`);
    assert.equal(health.status, 200);
  });

  test('errors are relayed on HEAD: missing object → 404 with hdr-error', async () => {
    const head = await fetch(objUrl(c.proxyUrl, BCK, 'rp/missing'), { method: 'HEAD', redirect: 'manual' });
    assert.equal(head.status, 404);
    assert.equal(parseAisError(head.headers.get('hdr-error') ?? '').tcode, 'ErrObjNotFound');
    // the proxy must still be serving after relaying a HEAD
    const health = await fetch(`${c.proxyUrl}/v1/health`);
    assert.equal(health.status, 200);
  });
});
