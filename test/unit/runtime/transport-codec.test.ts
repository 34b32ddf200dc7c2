// The envelope codec: what goes in comes out (binaries as bytes, bigints exact), and frames that
// are not envelopes are refused with ErrInvalidArgument instead of reaching a handler.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Packr } from 'msgpackr';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import { decodeEnvelope, encodeEnvelope } from '../../../runtime/transport/codec.ts';
import type { Envelope } from '../../../runtime/transport/types.ts';

test('an envelope round-trips, binaries as Uint8Array and bigints exact', () => {
  const env: Envelope = {
    t: 'q', id: 42, k: 'lso.page', from: 't1',
    b: { bytes: new Uint8Array([0, 255, 7]), ns: 1_700_000_000_123_456_789n, n: 2 ** 40, s: 'x', list: [null, true] },
  };
  const frame = encodeEnvelope(env);
  const second = encodeEnvelope({ t: 'n', id: 0, k: 'other', from: 'p1', b: 'overwrites nothing' });
  const back = decodeEnvelope(frame);
  assert.ok(second.byteLength > 0);
  const b = back.b as { bytes: Uint8Array; ns: bigint; n: number };
  assert.ok(b.bytes instanceof Uint8Array);
  assert.deepEqual([...b.bytes], [0, 255, 7]);
  assert.equal(b.ns, 1_700_000_000_123_456_789n);
  assert.equal(b.n, 2 ** 40);
  assert.deepEqual({ ...back, b: undefined }, { t: 'q', id: 42, k: 'lso.page', from: 't1', b: undefined });
});

test('an error envelope keeps tcode, message and status', () => {
  const e = { tcode: 'ErrObjNotFound', message: 'object "b/o" does not exist', status: 404 };
  assert.deepEqual(decodeEnvelope(encodeEnvelope({ t: 's', id: 1, k: 'obj.head', from: 't1', e })).e, e);
});

test('frames that are not envelopes are refused', () => {
  const packr = new Packr({ useRecords: false });
  const bad: Uint8Array[] = [
    new Uint8Array([0xc1]), // a byte msgpack never uses
    packr.pack('just a string'),
    packr.pack({ t: 'x', id: 1, k: 'k', from: 'f' }),
    packr.pack({ t: 'q', id: '1', k: 'k', from: 'f' }),
    packr.pack({ t: 's', id: 1, k: 'k', from: 'f', e: { tcode: 'X' } }),
  ];
  for (const frame of bad) assert.throws(() => decodeEnvelope(frame), ErrInvalidArgument);
});
