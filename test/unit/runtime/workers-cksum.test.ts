// env.workers checksums equal node:crypto on both sides of the offload threshold, the pool is used
// only above it, and callers keep their buffers unless they give them up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CKSUM_OFFLOAD_BYTES_MIN, createRealWorkers, WorkersClosedError } from '../../../runtime/env/real/workers.ts';
import { fakeEnv } from '../../support/fake-env.ts';
import { cksumBuffer } from '../../../runtime/cksum/cksum.ts';

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const SIZES = [0, 1, 4096, CKSUM_OFFLOAD_BYTES_MIN - 1, CKSUM_OFFLOAD_BYTES_MIN, CKSUM_OFFLOAD_BYTES_MIN + 1, 3 * CKSUM_OFFLOAD_BYTES_MIN + 7];

test('md5/sha256/sha512 equal node:crypto around the threshold, inline and offloaded', async () => {
  const w = createRealWorkers();
  try {
    for (const size of SIZES) {
      const data = bytes(size, size + 1);
      for (const type of ['md5', 'sha256', 'sha512'] as const) {
        assert.equal(await w.cksum(type, data), createHash(type).update(data).digest('hex'), `${type} of ${size} B`);
      }
    }
    assert.equal(w.threadIds.length > 0, true, 'sizes above the threshold went to the pool');
  } finally {
    await w.close();
  }
});

test('below the threshold nothing starts a thread; xxhash stays inline at any size', async () => {
  const w = createRealWorkers();
  try {
    const small = bytes(CKSUM_OFFLOAD_BYTES_MIN - 1, 7);
    assert.equal(await w.cksum('md5', small), createHash('md5').update(small).digest('hex'));
    const big = bytes(4 * CKSUM_OFFLOAD_BYTES_MIN, 8);
    assert.equal(await w.cksum('xxhash2', big), await cksumBuffer('xxhash2', big));
    assert.equal(await w.cksum('crc32c', big), await cksumBuffer('crc32c', big));
    assert.deepEqual(w.threadIds, []);
  } finally {
    await w.close();
  }
});

test('an offloaded buffer stays usable unless the caller gives it up', async () => {
  const w = createRealWorkers();
  try {
    const data = bytes(2 * CKSUM_OFFLOAD_BYTES_MIN, 3);
    const want = createHash('sha256').update(data).digest('hex');
    assert.equal(await w.cksum('sha256', data), want);
    assert.equal(data.byteLength, 2 * CKSUM_OFFLOAD_BYTES_MIN, 'copied, not transferred');
    assert.equal(createHash('sha256').update(data).digest('hex'), want);
    assert.equal(await w.cksum('sha256', data, { transfer: true }), want);
    assert.equal(data.byteLength, 0, 'transferred: detached');
    // A view into a larger buffer is never transferred (that would detach its neighbours).
    const backing = bytes(3 * CKSUM_OFFLOAD_BYTES_MIN, 4);
    const view = backing.subarray(1, 1 + 2 * CKSUM_OFFLOAD_BYTES_MIN);
    assert.equal(await w.cksum('md5', view, { transfer: true }), createHash('md5').update(view).digest('hex'));
    assert.equal(backing.byteLength, 3 * CKSUM_OFFLOAD_BYTES_MIN);
  } finally {
    await w.close();
  }
});

test('calls after close reject', async () => {
  const w = createRealWorkers();
  await w.cksum('md5', bytes(CKSUM_OFFLOAD_BYTES_MIN, 1));
  await w.close();
  await assert.rejects(w.cksum('md5', bytes(CKSUM_OFFLOAD_BYTES_MIN, 1)), WorkersClosedError);
  await assert.rejects(w.cksum('md5', bytes(10, 1)), WorkersClosedError);
});

test('the fake env computes inline with the same results', async () => {
  const env = fakeEnv();
  const data = bytes(CKSUM_OFFLOAD_BYTES_MIN + 5, 9);
  assert.equal(await env.workers.cksum('md5', data), createHash('md5').update(data).digest('hex'));
  const packed = await env.workers.compress('lz4', data);
  assert.deepEqual(await env.workers.decompress('lz4', packed), data);
  await env.workers.close();
});
