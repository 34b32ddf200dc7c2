import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareUtf8 } from '../../../../nodes/target/storage/list.ts';
import { BCK, bodyOf, openFixture, PUT_DEFAULTS, seededRandom } from './storage-fixture.ts';

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function namesFor(count: number): string[] {
  const rnd = seededRandom(42);
  const out = new Set<string>();
  const dirs = ['a/', 'a/b/', 'd1/', 'd10/', 'd2/', 'img/', 'z/', ''];
  const exotic = ['é', 'ﬀ', '😀', 'Z', '-', '_', '~'];
  while (out.size < count) {
    const dir = dirs[rnd.int(dirs.length)]!;
    const tag = rnd.int(10) === 0 ? exotic[rnd.int(exotic.length)]! : '';
    out.add(`${dir}${tag}obj-${rnd.int(1_000_000).toString(36)}`);
  }
  return [...out];
}

async function pageAll(page: (startAfter: string | undefined) => string[]): Promise<string[]> {
  const all: string[] = [];
  let after: string | undefined;
  for (let i = 0; i < 10_000; i++) {
    const p = page(after);
    if (p.length === 0) break;
    all.push(...p);
    after = p[p.length - 1];
  }
  return all;
}

test('listing is a sorted, complete, paged scan merged over 2 mountpaths', async () => {
  const fx = await openFixture(2);
  try {
    const names = namesFor(2000);
    const other = { provider: 'ais', name: 'b1x' };
    for (let i = 0; i < names.length; i += 100) {
      await Promise.all(names.slice(i, i + 100).map((n) => fx.storage.put(BCK, n, bodyOf(n), PUT_DEFAULTS)));
    }
    await fx.storage.put(other, 'a/zzz', bodyOf('other bucket'), PUT_DEFAULTS);
    const sorted = [...names].sort(byBytes);

    // Both mountpaths hold a share (HRW), so the merge is really exercised.
    const counts = fx.mountpaths.map(() => 0);
    for (const n of names) {
      const fqn = fx.storage.fqn(BCK, n)!;
      counts[fx.mountpaths.findIndex((mp) => fqn.startsWith(mp + '/'))]!++;
    }
    assert.ok(counts.every((c) => c > 500), `placement ${counts}`);

    for (const limit of [1, 7, 300, 2000, 5000]) {
      const all = await pageAll((after) => fx.storage.listNames(BCK, { limit, startAfter: after }));
      assert.deepEqual(all, sorted, `names, limit ${limit}`);
    }
    const full = await pageAll((after) => fx.storage.list(BCK, { limit: 333, startAfter: after }).map((e) => e.name));
    assert.deepEqual(full, sorted);
    const entries = fx.storage.list(BCK, { limit: 2000 });
    for (const e of entries) assert.equal(e.meta.size, Buffer.byteLength(e.name));

    for (const prefix of ['a/', 'a/b/', 'd1', 'd1/', 'img/obj-', 'nothing', '']) {
      const want = sorted.filter((n) => n.startsWith(prefix));
      const got = await pageAll((after) => fx.storage.listNames(BCK, { prefix, limit: 97, startAfter: after }));
      assert.deepEqual(got, want, `prefix ${prefix}`);
    }

    // startAfter need not be an existing name, nor inside the prefix.
    const mid = 'd1/obj-m';
    assert.deepEqual(fx.storage.listNames(BCK, { startAfter: mid, limit: 50 }), sorted.filter((n) => byBytes(n, mid) > 0).slice(0, 50));
    assert.deepEqual(fx.storage.listNames(BCK, { prefix: 'd1/', startAfter: 'a', limit: 5 }), sorted.filter((n) => n.startsWith('d1/')).slice(0, 5));
    assert.deepEqual(fx.storage.listNames(BCK, { prefix: 'd1/', startAfter: 'zz', limit: 5 }), []);
  } finally {
    await fx.cleanup();
  }
});

test('compareUtf8 orders as UTF-8 bytes', () => {
  const s = ['a', 'ab', 'a/b', 'a\u{E000}', 'a\u{10000}', 'a\u{FFFF}', 'é', 'z', '', 'A', '\u{1F600}', '\u{FF21}'];
  assert.deepEqual([...s].sort(compareUtf8), [...s].sort(byBytes));
});
