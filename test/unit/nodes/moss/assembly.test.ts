// Ordered assembly on the designated target: local items and remote ones arriving out of order (one
// in two pieces) come out in request order; a remote item its owner does not have is recovered from a
// neighbour (a soft error); a missing one is a `__404__` entry with coer and fails the batch without;
// a sender silent past max_wait is given up on and its items read from neighbours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { WorkItem } from '../../../../nodes/target/moss/work-item.ts';
import type { NodeCore } from '../../../../nodes/common/node-core.ts';
import type { Storage } from '../../../../nodes/target/storage/storage.ts';
import type { ArchiveWriter } from '../../../../runtime/archive/index.ts';
import { ErrObjNotFound, errorToWire } from '../../../../protocol/errors.ts';
import { RebMsg, type GfnGetReq, type GfnReq } from '../../../../protocol/reb.ts';
import type { MossItem, MossPiece, MossPlan } from '../../../../protocol/moss.ts';
import { fakeEnv, flush, type FakeEnv } from '../../../support/fake-env.ts';

const BCK = { provider: 'ais', name: 'b' };
const snode = (id: string) => ({ daemon_id: id, flags: 0, intra_control_net: { direct_url: `ctrl://${id}` }, intra_data_net: { direct_url: `data://${id}` } });

/** t1 is the DT; `local` are its objects; `neighbours` what the other targets answer to get-from-neighbor. */
function fixture(env: FakeEnv, local: Record<string, string>, neighbours: Record<string, Record<string, string>> = {}) {
  const head = (objName: string, src: Record<string, string>) => (src[objName] === undefined ? undefined : { size: src[objName]!.length, mtimeMs: 7 });
  const storage = {
    head: (_b: unknown, n: string) => head(n, local),
    get: async (_b: unknown, n: string, r?: { start: number; end: number }) => {
      if (local[n] === undefined) throw new ErrObjNotFound('ais://b', n);
      const data = Buffer.from(local[n]!);
      return { meta: head(n, local), data: r ? data.subarray(r.start, r.end + 1) : data };
    },
    read: async (_b: unknown, n: string, pick: (m: { size: number }) => { start: number; end: number } | undefined | null) => {
      if (local[n] === undefined) throw new ErrObjNotFound('ais://b', n);
      const data = Buffer.from(local[n]!);
      const r = pick(head(n, local)!);
      return { meta: head(n, local), data: r === null ? new Uint8Array(0) : r ? data.subarray(r.start, r.end + 1) : data };
    },
  } as unknown as Storage;
  const urlId = (url: string) => url.split('://')[1]!;
  const core = {
    id: 't1',
    env,
    owner: { smap: { tmap: { t1: snode('t1'), t2: snode('t2'), t3: snode('t3') } } },
    ctrl: {
      request: async (url: string, kind: string, body: GfnReq) => {
        assert.equal(kind, RebMsg.gfnHead);
        const has = neighbours[urlId(url)]?.[body.name];
        return has === undefined ? {} : { meta: { size: has.length, mtimeMs: 9, cksumType: 'none', cksumValue: '', customMd: {}, version: '1', atimeNs: '0' } };
      },
    },
    data: {
      request: async (url: string, kind: string, body: GfnGetReq) => {
        assert.equal(kind, RebMsg.gfnGet);
        return { data: Buffer.from(neighbours[urlId(url)]![body.name]!).subarray(body.off, body.off + body.len) };
      },
    },
  } as unknown as NodeCore;
  return { core, storage };
}

function planOf(names: string[], coer = false): MossPlan {
  const items: MossItem[] = names.map((objname) => ({ bck: BCK, objname, archpath: '', start: 0, length: 0 }));
  return { mime: '.tar', coer, onob: true, strm: true, coloc: 0, items };
}

/** Records entries as they are added (a stand-in for the tar writer). */
function collector(): ArchiveWriter & { entries: { name: string; data: string }[]; finished: boolean } {
  const entries: { name: string; data: string }[] = [];
  const w = {
    entries,
    finished: false,
    output: undefined as unknown as Readable,
    async add(name: string, data: Uint8Array | Readable, size: number) {
      let bytes: Buffer;
      if (data instanceof Uint8Array) bytes = Buffer.from(data);
      else {
        const parts: Buffer[] = [];
        for await (const c of data) parts.push(c as Buffer);
        bytes = Buffer.concat(parts);
      }
      assert.equal(bytes.length, size, `size of ${name}`);
      entries.push({ name, data: bytes.toString() });
    },
    async finish() {
      w.finished = true;
    },
    abort() {},
  };
  return w;
}

const piece = (i: number, data: string, off = 0, size = data.length, end = true): MossPiece => ({ i, off, size, end, mtimeMs: 3, data: Buffer.from(data) });

test('request order from local items and out-of-order remote arrivals (one chunked)', async () => {
  const env = fakeEnv();
  const { core, storage } = fixture(env, { l1: 'local-1', l4: 'local-4' });
  const names = ['r0', 'l1', 'r2', 'r3', 'l4', 'r5'];
  const owners = ['t2', 't1', 't3', 't2', 't1', 't2'];
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(names), owners, maxWaitMs: 20_000, maxSoftErrs: 8 });
  const aw = collector();
  let firstAt = -1;
  const done = wi.assemble(aw, () => (firstAt = aw.entries.length), () => {});
  // t2 sends r5 and r3 before r0, whose bytes come in two pieces; t3 sends r2.
  const ackLate = wi.inbox.put('t2', [piece(5, 'remote-5'), piece(3, 'remote-3')]);
  void wi.inbox.put('t3', [piece(2, 'remote-2')]);
  await flush();
  void wi.inbox.put('t2', [piece(0, 'remo', 0, 8, false)]);
  void wi.inbox.put('t2', [piece(0, 'te-0', 4, 8, true)]);
  await done;
  await ackLate;
  assert.equal(firstAt, 0);
  assert.deepEqual(aw.entries.map((e) => e.name), names);
  assert.deepEqual(aw.entries.map((e) => e.data), ['remote-0', 'local-1', 'remote-2', 'remote-3', 'local-4', 'remote-5']);
  assert.equal(aw.finished, true);
  assert.deepEqual(wi.out.map((o) => o.size), [8, 7, 8, 8, 7, 8]);
  assert.deepEqual({ loc: wi.counters.locObjs, in: wi.counters.inObjs }, { loc: 2, in: 4 });
  assert.equal(wi.inbox.bytes, 0);
});

test('owner does not have it: get-from-neighbor (soft error); nowhere: __404__ with coer, ErrObjNotFound without', async () => {
  const notHere = { tcode: 'ErrObjNotFound', message: 'object "ais://b/x" does not exist', status: 404 };
  for (const coer of [true, false]) {
    const env = fakeEnv();
    const { core, storage } = fixture(env, {}, { t3: { moved: 'moved-bytes' } });
    const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['moved', 'gone'], coer), owners: ['t2', 't2'], maxWaitMs: 20_000, maxSoftErrs: 8 });
    const aw = collector();
    const done = wi.assemble(aw, () => {}, () => {});
    void wi.inbox.put('t2', [
      { ...piece(0, ''), err: notHere },
      { ...piece(1, ''), err: { ...notHere, message: 'object "ais://b/gone" does not exist' } },
    ]);
    if (!coer) {
      await assert.rejects(done, (e: Error) => errorToWire(e).status === 404 && e.message === 'object "ais://b/gone" does not exist');
      continue;
    }
    await done;
    assert.deepEqual(aw.entries, [{ name: 'moved', data: 'moved-bytes' }, { name: '__404__/gone', data: '' }]);
    assert.equal(wi.out[1]!.err_msg, 'object "ais://b/gone" does not exist');
  }
});

test('soft errors past max_soft_errs fail the batch', async () => {
  const env = fakeEnv();
  const { core, storage } = fixture(env, {});
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['a', 'b', 'c'], true), owners: ['t1', 't1', 't1'], maxWaitMs: 20_000, maxSoftErrs: 1 });
  await assert.rejects(wi.assemble(collector(), () => {}, () => {}), /exceeded soft-errors limit: 2 \(max: 1\)/);
});

test('a sender silent past max_wait: its items come from neighbours', async () => {
  const env = fakeEnv();
  const { core, storage } = fixture(env, {}, { t3: { r0: 'from-t3' } });
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['r0']), owners: ['t2'], maxWaitMs: 5_000, maxSoftErrs: 8 });
  const aw = collector();
  const done = wi.assemble(aw, () => {}, () => {});
  await env.advance(4_999);
  assert.equal(aw.entries.length, 0);
  await env.advance(1);
  await done;
  assert.deepEqual(aw.entries, [{ name: 'r0', data: 'from-t3' }]);
  assert.ok(env.logLines.some((l) => l.level === 'warn' && /sender silent past max_wait/.test(l.msg ?? '')));
  // A late message from the silent sender is not waited for; the work item is done.
  void wi.inbox.put('t2', [piece(0, 'late')]).catch(() => undefined);
});

test('a range error from a sender fails the batch even with coer', async () => {
  const env = fakeEnv();
  const { core, storage } = fixture(env, {});
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(['r0'], true), owners: ['t2'], maxWaitMs: 5_000, maxSoftErrs: 8 });
  const done = wi.assemble(collector(), () => {}, () => {});
  void wi.inbox.put('t2', [{ ...piece(0, ''), err: { tcode: 'ErrRangeNotSatisfiable', message: 'size=3: not satisfiable range [start=9]', status: 416 } }]);
  await assert.rejects(done, (e: Error) => errorToWire(e).status === 416);
});

test("a sender's credit comes back once the writer took its items, while the DT waits for its next one", async () => {
  const env = fakeEnv();
  const { core, storage } = fixture(env, {});
  const names = Array.from({ length: 11 }, (_, i) => `r${i}`);
  const wi = new WorkItem({ core, storage, xid: 'gbt-x', wid: 'w', plan: planOf(names), owners: names.map(() => 't2'), maxWaitMs: 20_000, maxSoftErrs: 8 });
  const aw = collector();
  const done = wi.assemble(aw, () => {}, () => {});
  // A window's worth of one-item messages; the 11th item is not sent until credit comes back.
  const acks = names.slice(0, 10).map((n, i) => wi.inbox.put('t2', [piece(i, n)]));
  await Promise.all(acks); // would hang if acks waited for the assembly to move past item 10
  void wi.inbox.put('t2', [piece(10, 'r10')]);
  await done;
  assert.deepEqual(aw.entries.map((e) => e.data), names);
});
