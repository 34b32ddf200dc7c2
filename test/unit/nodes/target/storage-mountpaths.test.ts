// The target's mutable mountpath set (attach, enable, detach, disable, persisted) and resilver:
// objects move to their HRW mountpath with the same metadata and are never lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hrw } from '../../../../nodes/cluster/hrw.ts';
import { objPath, objUname } from '../../../../nodes/target/storage/layout.ts';
import { Storage } from '../../../../nodes/target/storage/storage.ts';
import { parseUname } from '../../../../nodes/target/storage/resilver.ts';
import { ErrInvalidArgument, ErrNotFound } from '../../../../protocol/errors.ts';
import { BCK, bodyOf, patternBytes, PUT_DEFAULTS, readGot, testEnv } from './storage-fixture.ts';

interface Fx {
  root: string;
  mps: string[];
  vmdPath: string;
  storage: Storage;
  hrw: Hrw;
  cleanup(): Promise<void>;
}

async function open(n = 2): Promise<Fx> {
  const root = await mkdtemp(join(tmpdir(), 'shoal-mpaths-'));
  const mps = Array.from({ length: n }, (_, i) => join(root, `mp${i}`));
  const hrw = await Hrw.create();
  const vmdPath = join(root, 'vmd.json');
  const storage = await Storage.open(testEnv(), { mountpaths: mps, hrw, vmdPath });
  const fx: Fx = {
    root, mps, vmdPath, storage, hrw,
    cleanup: async () => {
      await fx.storage.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return fx;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `d${i % 7}/obj-${i}`);

async function putAll(s: Storage, list: string[]): Promise<Map<string, NonNullable<ReturnType<Storage['head']>>>> {
  const out = new Map<string, NonNullable<ReturnType<Storage['head']>>>();
  for (const [i, n] of list.entries()) {
    await s.put(BCK, n, bodyOf(patternBytes(100 + (i % 50) * 37, i)), { ...PUT_DEFAULTS, customMd: { i: String(i) } });
    out.set(n, s.head(BCK, n)!);
  }
  return out;
}

async function assertAllRead(s: Storage, list: string[], metas: Map<string, unknown>): Promise<void> {
  for (const [i, n] of list.entries()) {
    // GETs update atime: the rest of the metadata must be exactly what the PUT stored.
    assert.deepEqual({ ...s.head(BCK, n), atimeNs: '' }, { ...(metas.get(n) as object), atimeNs: '' }, `meta of ${n}`);
    const got = await readGot(await s.get(BCK, n));
    assert.deepEqual(got, Buffer.from(patternBytes(100 + (i % 50) * 37, i)), `bytes of ${n}`);
    await s.validate(BCK, n);
  }
}

const neverAborted = new AbortController().signal;

test('attach: bad input is refused with a clear message', async () => {
  const fx = await open();
  try {
    const m = fx.storage.mpaths;
    await assert.rejects(m.attach('relative/path'), (e: Error) => e instanceof ErrInvalidArgument && /must be an absolute path/.test(e.message));
    await assert.rejects(m.attach(join(fx.root, 'nope')), (e: Error) => e instanceof ErrInvalidArgument && e.message === `mountpath ${join(fx.root, 'nope')} does not exist`);
    await assert.rejects(m.attach(fx.mps[0]!), (e: Error) => e instanceof ErrInvalidArgument && e.message === `duplicated mountpath ${fx.mps[0]}: already attached`);
    await assert.rejects(m.attach(fx.mps[0]! + '/'), (e: Error) => e instanceof ErrInvalidArgument && /already attached/.test(e.message));
    await mkdir(join(fx.mps[0]!, 'inner'));
    await assert.rejects(m.attach(join(fx.mps[0]!, 'inner')), (e: Error) => e instanceof ErrInvalidArgument && /mountpath nesting is not permitted/.test(e.message));
    await writeFile(join(fx.root, 'file'), 'x');
    await assert.rejects(m.attach(join(fx.root, 'file')), (e: Error) => e instanceof ErrInvalidArgument && /is not a directory/.test(e.message));
    await assert.rejects(m.enable(join(fx.root, 'nope')), (e: Error) => e instanceof ErrNotFound && /does not exist/.test(e.message));
    await assert.rejects(m.beginDD(join(fx.root, 'nope'), 'detach'), (e: Error) => e instanceof ErrNotFound && /does not exist/.test(e.message));
    assert.deepEqual(m.list(), { available: [...fx.mps].sort(), waiting_dd: [], disabled: [] });
  } finally {
    await fx.cleanup();
  }
});

test('attach + resilver: objects move to the new mountpath with the same metadata', async () => {
  const fx = await open();
  try {
    const list = names(300);
    const metas = await putAll(fx.storage, list);
    const extra = join(fx.root, 'mp-new');
    await mkdir(extra);
    assert.equal(await fx.storage.mpaths.attach(extra), true);
    assert.deepEqual(fx.storage.mountpathPaths().sort(), [...fx.mps, extra].sort());
    await assertAllRead(fx.storage, list, metas); // before resilver: found off their HRW mountpath
    const before = new Map(list.map((n) => [n, fx.storage.head(BCK, n)]));
    const reports: number[] = [];
    const p = await fx.storage.resilver(neverAborted, (x) => reports.push(x.objs));
    assert.equal(p.errs, 0, p.firstErr);
    for (const n of list) assert.deepEqual(fx.storage.head(BCK, n), before.get(n), `${n}: same metadata after the move, atime included`);
    assert.ok(p.objs > 30 && p.objs < 200, `moved ${p.objs}`);
    await assertAllRead(fx.storage, list, metas);
    let onNew = 0;
    for (const n of list) {
      const files = (await Promise.all([...fx.mps, extra].map((mp) => exists(objPath(mp, BCK, n))))).filter(Boolean).length;
      assert.equal(files, 1, `one file for ${n}`);
      if (await exists(objPath(extra, BCK, n))) onNew++;
    }
    assert.equal(onNew, p.objs);
    const again = await fx.storage.resilver(neverAborted, () => {});
    assert.equal(again.objs, 0, 'a second resilver has nothing to move');
  } finally {
    await fx.cleanup();
  }
});

test('detach: resilver moves everything off, then the mountpath leaves; the set persists', async () => {
  const fx = await open(3);
  try {
    const list = names(200);
    const metas = await putAll(fx.storage, list);
    const m = fx.storage.mpaths;
    const leaving = fx.mps[1]!;
    const mp = await m.beginDD(leaving, 'detach');
    assert.equal(typeof mp, 'object');
    assert.deepEqual(m.list(), { available: [fx.mps[0]!, fx.mps[2]!].sort(), waiting_dd: [leaving], disabled: [] });
    assert.ok(!fx.storage.mountpathPaths().includes(leaving), 'no longer placed on');
    await assertAllRead(fx.storage, list, metas); // still served while waiting
    const p = await fx.storage.resilver(neverAborted, () => {});
    assert.equal(p.errs, 0, p.firstErr);
    assert.ok(p.objs > 0);
    assert.deepEqual(m.list(), { available: [fx.mps[0]!, fx.mps[2]!].sort(), waiting_dd: [], disabled: [] });
    await assertAllRead(fx.storage, list, metas);
    for (const n of list) assert.equal(await exists(objPath(leaving, BCK, n)), false, `${n} left on the detached mountpath`);

    await fx.storage.close();
    fx.storage = await Storage.open(testEnv(), { mountpaths: fx.mps, hrw: fx.hrw, vmdPath: fx.vmdPath });
    assert.deepEqual(fx.storage.mpaths.list().available, [fx.mps[0]!, fx.mps[2]!].sort(), 'the persisted set wins over the config');
    await assertAllRead(fx.storage, list, metas);
  } finally {
    await fx.cleanup();
  }
});

test('disable / enable, last mountpath, and detach without resilver', async () => {
  const fx = await open(2);
  try {
    const list = names(100);
    const metas = await putAll(fx.storage, list);
    const m = fx.storage.mpaths;
    const [a, b] = [fx.mps[0]!, fx.mps[1]!];
    const mp = await m.beginDD(a, 'disable');
    assert.ok(typeof mp === 'object');
    await assert.rejects(m.beginDD(b, 'detach'), (e: Error) => e instanceof ErrInvalidArgument && e.message === `cannot detach ${b}: it is the last available mountpath of target t1`);
    await fx.storage.resilver(neverAborted, () => {});
    assert.deepEqual(m.list(), { available: [b], waiting_dd: [], disabled: [a] });
    await assertAllRead(fx.storage, list, metas);
    assert.equal(await m.beginDD(a, 'disable'), 'noop', 'already disabled');
    await assert.rejects(m.attach(a), (e: Error) => e instanceof ErrInvalidArgument && /currently disabled \(hint: did you want to enable it\?\)/.test(e.message));
    assert.equal(await m.enable(a), true);
    assert.equal(await m.enable(a), false, 'already enabled: nothing to do');
    await fx.storage.resilver(neverAborted, () => {});
    assert.deepEqual(m.list(), { available: [a, b].sort(), waiting_dd: [], disabled: [] });
    await assertAllRead(fx.storage, list, metas);

    // Without resilver: the mountpath leaves at once and its objects are no longer served.
    const gone = await m.beginDD(b, 'detach');
    assert.ok(typeof gone === 'object');
    await m.finishDD(gone);
    const served = list.filter((n) => fx.storage.head(BCK, n) !== undefined).length;
    assert.ok(served > 0 && served < list.length, `served ${served}`);
  } finally {
    await fx.cleanup();
  }
});

test('an aborted resilver loses nothing; a PUT racing a detach lands on an available mountpath', async () => {
  const fx = await open(3);
  try {
    const list = names(150);
    const metas = await putAll(fx.storage, list);
    const extra = join(fx.root, 'mp-x');
    await mkdir(extra);
    await fx.storage.mpaths.attach(extra);
    const ac = new AbortController();
    let seen = 0;
    await fx.storage.resilver(ac.signal, () => {
      if (++seen === 1) ac.abort();
    });
    await assertAllRead(fx.storage, list, metas);

    // PUTs in flight while a mountpath begins to leave and resilver runs.
    const leaving = fx.mps[0]!;
    const puts = list.slice(0, 40).map((n, i) => fx.storage.putBytes(BCK, n, patternBytes(500, 1000 + i), PUT_DEFAULTS));
    const mp = await fx.storage.mpaths.beginDD(leaving, 'detach');
    assert.ok(typeof mp === 'object');
    const [p] = await Promise.all([fx.storage.resilver(neverAborted, () => {}), Promise.all(puts)]);
    assert.equal(p.errs, 0, p.firstErr);
    assert.deepEqual(fx.storage.mpaths.list().waiting_dd, []);
    for (const [i, n] of list.slice(0, 40).entries()) {
      assert.deepEqual(await readGot(await fx.storage.get(BCK, n)), Buffer.from(patternBytes(500, 1000 + i)));
      assert.equal(await exists(objPath(leaving, BCK, n)), false);
    }
  } finally {
    await fx.cleanup();
  }
});

test('parseUname splits an index key into bucket and object name', () => {
  assert.deepEqual(parseUname(objUname(BCK, 'a/b/c.txt')), { bck: { provider: 'ais', name: 'b1' }, objName: 'a/b/c.txt' });
});

test('a mountpath attached again with old copies: resilver keeps the newest copy', async () => {
  const fx = await open(3);
  try {
    const list = names(60);
    for (const n of list) await fx.storage.putBytes(BCK, n, Buffer.from(`old ${n}`), PUT_DEFAULTS);
    const c = fx.mps[2]!;
    const mp = await fx.storage.mpaths.beginDD(c, 'detach');
    assert.ok(typeof mp === 'object');
    await fx.storage.mpaths.finishDD(mp); // no resilver: its objects stay on its disk, unserved
    await new Promise((r) => setTimeout(r, 5)); // later mtimes
    for (const n of list) await fx.storage.putBytes(BCK, n, Buffer.from(`new ${n}`), PUT_DEFAULTS);
    assert.equal(await fx.storage.mpaths.attach(c), true);
    const p = await fx.storage.resilver(neverAborted, () => {});
    assert.equal(p.errs, 0, p.firstErr);
    for (const n of list) {
      assert.equal((await readGot(await fx.storage.get(BCK, n))).toString(), `new ${n}`);
      const files = (await Promise.all(fx.mps.map((m) => exists(objPath(m, BCK, n))))).filter(Boolean).length;
      assert.equal(files, 1, `one copy of ${n}`);
    }
  } finally {
    await fx.cleanup();
  }
});
