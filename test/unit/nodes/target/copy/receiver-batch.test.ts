import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeCore } from '../../../../../nodes/common/node-core.ts';
import { CopyReceiver } from '../../../../../nodes/target/copy/receiver.ts';
import { CopyStates } from '../../../../../nodes/target/copy/state.ts';
import { CopyMsg, type CopyBatchBody, type CopyBatchReply } from '../../../../../protocol/copy.ts';
import { cksumBuffer } from '../../../../../runtime/cksum/cksum.ts';
import type { RequestHandler } from '../../../../../runtime/transport/types.ts';
import { BCK, openFixture, patternBytes, readGot } from '../storage-fixture.ts';

/** The parts of a NodeCore the receiver uses: handler registration, features, env, ownership. */
function fakeCore(env: NodeCore['env'], handlers: Map<string, RequestHandler>): NodeCore {
  // this target owns every name (the receiver refuses objects it does not own)
  return {
    env, id: 't1', data: { handle: (k: string, h: RequestHandler) => void handlers.set(k, h) }, feature: () => false,
    ownerOf: () => ({ daemon_id: 't1' }), owner: { version: () => 1 },
  } as unknown as NodeCore;
}

test('a copy.objs batch with one bad checksum stores the others and names the bad one', async () => {
  const fx = await openFixture();
  try {
    const handlers = new Map<string, RequestHandler>();
    const states = new CopyStates();
    new CopyReceiver(fakeCore(fx.env, handlers), fx.storage, states).register();
    const datas = [patternBytes(10_000, 1), patternBytes(20_000, 2), patternBytes(0, 3), patternBytes(30_000, 4)];
    const objs = await Promise.all(
      datas.map(async (data, i) => ({ name: `o${i}`, size: data.byteLength, cksumType: 'xxhash2' as const, cksumValue: await cksumBuffer('xxhash2', data), customMd: { i: String(i) }, data })),
    );
    objs[1]!.cksumValue = objs[0]!.cksumValue; // corrupt in flight
    const body: CopyBatchBody = { xid: 'x1', bck: BCK, dstCksumType: 'xxhash2', versioning: true, objs };
    const reply = (await handlers.get(CopyMsg.objs)!(body, 't2')) as CopyBatchReply;
    assert.deepEqual(reply.failed.map((f) => f.name), ['o1']);
    assert.match(reply.failed[0]!.err, /BAD DATA CHECKSUM/);
    for (const i of [0, 2, 3]) {
      assert.deepEqual(await readGot(await fx.storage.get(BCK, `o${i}`)), Buffer.from(datas[i]!));
      assert.deepEqual(fx.storage.head(BCK, `o${i}`)?.customMd, { i: String(i) });
    }
    assert.equal(fx.storage.head(BCK, 'o1'), undefined);
    const c = states.get('x1').counters;
    assert.equal(c.inObjs, 3);
    assert.equal(c.inBytes, 40_000);
  } finally {
    await fx.cleanup();
  }
});
