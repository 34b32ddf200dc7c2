// Get-from-neighbor on the designated target asks every target, the item's owner included (M4-F2):
// an owner that said "missing" mid-rebalance, or a silent sender, may have the object by then. While
// a rebalance settles, an item no one has yet is looked for again before it becomes `__404__`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { MOSS_GFN_REBALANCE_RETRY_MS, WorkItem } from '../../../../nodes/target/moss/work-item.ts';
import type { NodeCore } from '../../../../nodes/common/node-core.ts';
import type { Storage } from '../../../../nodes/target/storage/storage.ts';
import type { ArchiveWriter } from '../../../../runtime/archive/index.ts';
import { RebMsg, type GfnGetReq, type GfnReq } from '../../../../protocol/reb.ts';
import type { MossItem, MossPlan } from '../../../../protocol/moss.ts';
import { fakeEnv, flush, type FakeEnv } from '../../../support/fake-env.ts';
import { ErrObjNotFound } from '../../../../protocol/errors.ts';

const BCK = { provider: 'ais', name: 'b' };
const snode = (id: string) => ({ daemon_id: id, flags: 0, intra_control_net: { direct_url: `ctrl://${id}` }, intra_data_net: { direct_url: `data://${id}` } });
const notHere = { tcode: 'ErrObjNotFound', message: 'object "ais://b/r0" does not exist', status: 404 };

/** t1 is the DT and has nothing; `held` is what each other target holds now (mutable). */
function fixture(env: FakeEnv, held: Record<string, Record<string, string>>) {
  const storage = {
    head: () => undefined,
    get: async () => assert.fail('nothing is local'),
    read: async (_b: unknown, n: string) => {
      throw new ErrObjNotFound('ais://b', n);
    },
  } as unknown as Storage;
  const heads: string[] = [];
  const urlId = (url: string) => url.split('://')[1]!;
  const core = {
    id: 't1',
    env,
    owner: { smap: { tmap: { t1: snode('t1'), t2: snode('t2'), t3: snode('t3') } } },
    ctrl: {
      request: async (url: string, kind: string, body: GfnReq) => {
        assert.equal(kind, RebMsg.gfnHead);
        heads.push(urlId(url));
        const has = held[urlId(url)]?.[body.name];
        return has === undefined ? {} : { meta: { size: has.length, mtimeMs: 9, cksumType: 'none', cksumValue: '', customMd: {}, version: '1', atimeNs: '0' } };
      },
    },
    data: {
      request: async (url: string, _kind: string, body: GfnGetReq) => ({ data: Buffer.from(held[urlId(url)]![body.name]!).subarray(body.off, body.off + body.len) }),
    },
  } as unknown as NodeCore;
  return { core, storage, heads };
}

function planOf(names: string[]): MossPlan {
  const items: MossItem[] = names.map((objname) => ({ bck: BCK, objname, archpath: '', start: 0, length: 0 }));
  return { mime: '.tar', coer: true, onob: true, strm: true, coloc: 0, items };
}

function collector(): ArchiveWriter & { entries: { name: string; data: string }[] } {
  const entries: { name: string; data: string }[] = [];
  return {
    entries,
    output: undefined as unknown as Readable,
    async add(name: string, data: Uint8Array | Readable) {
      assert.ok(data instanceof Uint8Array);
      entries.push({ name, data: Buffer.from(data).toString() });
    },
    async finish() {},
    abort() {},
  };
}

test('the owner said "missing" but has it by now: get-from-neighbor asks it too', async () => {
  const env = fakeEnv();
  const { core, storage, heads } = fixture(env, { t2: { r0: 'arrived' } });
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['r0']), owners: ['t2'], maxWaitMs: 20_000, maxSoftErrs: 8 });
  const aw = collector();
  const done = wi.assemble(aw, () => {}, () => {});
  void wi.inbox.put('t2', [{ i: 0, off: 0, size: 0, end: true, mtimeMs: 0, data: new Uint8Array(0), err: notHere }]);
  await done;
  assert.deepEqual(aw.entries, [{ name: 'r0', data: 'arrived' }]);
  assert.ok(heads.includes('t2'));
});

test('a silent sender is asked too (it may still answer a HEAD)', async () => {
  const env = fakeEnv();
  const { core, storage } = fixture(env, { t2: { r0: 'owner-copy' } });
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['r0']), owners: ['t2'], maxWaitMs: 5_000, maxSoftErrs: 8 });
  const aw = collector();
  const done = wi.assemble(aw, () => {}, () => {});
  await env.advance(5_000);
  await done;
  assert.deepEqual(aw.entries, [{ name: 'r0', data: 'owner-copy' }]);
});

test('during a rebalance an item no one has yet is looked for again before it is __404__', async () => {
  const env = fakeEnv();
  const held: Record<string, Record<string, string>> = {};
  const { core, storage } = fixture(env, held);
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['r0']), owners: ['t2'], maxWaitMs: 20_000, maxSoftErrs: 8, rebalancing: () => true });
  const aw = collector();
  const done = wi.assemble(aw, () => {}, () => {});
  void wi.inbox.put('t2', [{ i: 0, off: 0, size: 0, end: true, mtimeMs: 0, data: new Uint8Array(0), err: notHere }]);
  await flush();
  assert.equal(aw.entries.length, 0);
  held.t3 = { r0: 'in-flight' }; // the rebalance's copy lands
  await env.advance(MOSS_GFN_REBALANCE_RETRY_MS);
  await done;
  assert.deepEqual(aw.entries, [{ name: 'r0', data: 'in-flight' }]);
});

test('no rebalance: an item no one has is __404__ at once', async () => {
  const env = fakeEnv();
  const { core, storage } = fixture(env, {});
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['r0']), owners: ['t2'], maxWaitMs: 20_000, maxSoftErrs: 8, rebalancing: () => false });
  const aw = collector();
  const done = wi.assemble(aw, () => {}, () => {});
  void wi.inbox.put('t2', [{ i: 0, off: 0, size: 0, end: true, mtimeMs: 0, data: new Uint8Array(0), err: notHere }]);
  await done;
  assert.deepEqual(aw.entries, [{ name: '__404__/r0', data: '' }]);
});
