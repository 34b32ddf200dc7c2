import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Batches, COPY_BATCH_BYTES_MAX, COPY_BATCH_OBJS_MAX } from '../../../../../nodes/target/copy/batch.ts';
import type { CopyBatchObj } from '../../../../../protocol/copy.ts';

const obj = (name: string, size: number): CopyBatchObj => ({ name, size, cksumType: 'none', cksumValue: '', customMd: {}, data: new Uint8Array(size) });

test('a batch is ready at COPY_BATCH_OBJS_MAX objects, per destination', () => {
  const b = new Batches<string>();
  for (let i = 0; i < COPY_BATCH_OBJS_MAX - 1; i++) {
    assert.deepEqual(b.add('t1', 'url1', obj(`a${i}`, 10)), []);
    assert.deepEqual(b.add('t2', 'url2', obj(`b${i}`, 10)), []);
  }
  const ready = b.add('t1', 'url1', obj('last', 10));
  assert.equal(ready.length, 1);
  assert.equal(ready[0]!.to, 'url1');
  assert.equal(ready[0]!.objs.length, COPY_BATCH_OBJS_MAX);
  assert.deepEqual(ready[0]!.objs.map((o) => o.name).slice(0, 2), ['a0', 'a1']);
  const rest = b.drain();
  assert.deepEqual(rest.map((r) => [r.to, r.objs.length]), [['url2', COPY_BATCH_OBJS_MAX - 1]]);
  assert.deepEqual(b.drain(), []);
});

test('a batch never goes past COPY_BATCH_BYTES_MAX; a full-size object travels alone', () => {
  const b = new Batches<string>();
  const third = Math.floor(COPY_BATCH_BYTES_MAX / 3);
  assert.deepEqual(b.add('t', 'u', obj('x', third)), []);
  assert.deepEqual(b.add('t', 'u', obj('y', third)), []);
  // Would exceed: the open batch goes first, the new object opens the next one.
  const r1 = b.add('t', 'u', obj('z', third + 100));
  assert.deepEqual(r1.map((r) => r.objs.map((o) => o.name)), [['x', 'y']]);
  // The open batch (z) goes, then the full-size object is a batch of its own.
  const r2 = b.add('t', 'u', obj('big', COPY_BATCH_BYTES_MAX));
  assert.deepEqual(r2.map((r) => r.objs.map((o) => o.name)), [['z'], ['big']]);
  assert.deepEqual(b.drain(), []);
});
