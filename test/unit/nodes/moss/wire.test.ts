// The compact wire forms of moss.begin / moss.send / moss.data: what the proxy and senders encode is
// what the DT and senders decode, and a malformed message is refused with ErrInvalidArgument.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEnvelope, decodeEnvelope } from '../../../../runtime/transport/codec.ts';
import {
  beginFromWire, beginToWire, dataFromWire, dataToWire, itemsFromWire, sendFromWire, sendToWire,
  type MossBeginBody, type MossDataBody, type MossItem, type MossSendBody,
} from '../../../../protocol/moss.ts';

const items: MossItem[] = [
  { bck: { provider: 'ais', name: 'a' }, objname: 'x/1', archpath: '', start: 0, length: 0 },
  { bck: { provider: 'ais', name: 'b' }, objname: 'y', archpath: 'in/shard.txt', start: 5, length: -1, opaque: 'AQI=' },
  { bck: { provider: 'aws', name: 'a' }, objname: 'z', archpath: '', start: 1, length: 10 },
  { bck: { provider: 'ais', name: 'a' }, objname: 'ünï/𝄞', archpath: '', start: 0, length: 0 },
];

/** Through msgpack as the transport sends it. */
function viaFrame<T>(b: T): unknown {
  return decodeEnvelope(encodeEnvelope({ t: 'q', id: 1, k: 'moss.x', from: 't1', b })).b;
}

test('begin: plan, owners and flags survive the wire', () => {
  const begin: MossBeginBody = { wid: 'w1', plan: { mime: '.tar', coer: true, onob: false, strm: true, coloc: 1, items }, owners: ['t1', 't2', 't1', 't3'], smapVer: 7 };
  const got = beginFromWire(viaFrame(beginToWire(begin)));
  assert.deepEqual(got, begin);
  assert.deepEqual(beginToWire(begin).plan.items.b, [{ provider: 'ais', name: 'a' }, { provider: 'ais', name: 'b' }, { provider: 'aws', name: 'a' }]);
});

test('send: indices and items survive the wire', () => {
  const send: MossSendBody = { xid: 'gbt-1', wid: 'w1', dt: 't2', indices: [0, 2, 3], items: [items[0]!, items[2]!, items[3]!] };
  assert.deepEqual(sendFromWire(viaFrame(sendToWire(send))), send);
  const shardAware: MossSendBody = { ...send, coloc: 2 };
  assert.deepEqual(sendFromWire(viaFrame(sendToWire(shardAware))), shardAware);
  assert.equal('coloc' in sendToWire({ ...send, coloc: 0 }), false);
});

test('data: pieces (bytes, end flag, error) survive the wire', () => {
  const body: MossDataBody = {
    wid: 'w1',
    fin: true,
    pieces: [
      { i: 0, off: 0, size: 3, end: true, mtimeMs: 1764200000123, data: Buffer.from('abc') },
      { i: 4, off: 1048576, size: 2097152, end: false, mtimeMs: 0, data: Buffer.alloc(10, 7) },
      { i: 5, off: 0, size: 0, end: true, mtimeMs: 0, data: new Uint8Array(0), err: { tcode: 'ErrObjNotFound', message: 'gone', status: 404 } },
    ],
  };
  const got = dataFromWire(viaFrame(dataToWire(body)));
  assert.equal(got.wid, 'w1');
  assert.equal(got.fin, true);
  assert.equal(got.pieces.length, 3);
  for (let k = 0; k < 3; k++) {
    const [a, b] = [got.pieces[k]!, body.pieces[k]!];
    assert.deepEqual({ ...a, data: Buffer.from(a.data).toString('hex') }, { ...b, data: Buffer.from(b.data).toString('hex') });
  }
  assert.equal(dataFromWire(viaFrame(dataToWire({ wid: 'w', pieces: [] }))).fin, undefined);
});

test('malformed messages are refused with ErrInvalidArgument', () => {
  const refused = (f: () => unknown, what: string) =>
    assert.throws(f, (e: Error & { tcode?: string }) => e.tcode === 'ErrInvalidArgument' && e.message === `x-moss: malformed ${what} message`);
  refused(() => itemsFromWire({ b: [], i: [[0, 'x', '', 0, 0]] }), 'item');
  refused(() => itemsFromWire({ b: [{ provider: 'ais', name: 'a' }], i: [[0, 1, '', 0, 0]] }), 'item');
  refused(() => itemsFromWire(undefined), 'item list');
  refused(() => beginFromWire({ wid: 'w', plan: { items: { b: [], i: [] } }, owners: { ids: [], of: [0] } }), 'begin');
  refused(() => beginFromWire({ wid: 'w', plan: { items: { b: [{ provider: 'ais', name: 'a' }], i: [[0, 'x', '', 0, 0]] } }, owners: { ids: [], of: [0] } }), 'begin');
  refused(() => sendFromWire({ xid: 'x', wid: 'w', dt: 't', indices: [1, 2], items: { b: [{ provider: 'ais', name: 'a' }], i: [[0, 'x', '', 0, 0]] } }), 'send');
  refused(() => dataFromWire({ wid: 'w', p: [[0, 0, 1, 1, 0, 'not bytes']] }), 'data');
  refused(() => dataFromWire({ p: [] }), 'data');
});
