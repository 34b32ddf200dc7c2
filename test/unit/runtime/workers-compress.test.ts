// gzip and LZ4-frame round trips through env.workers (inline and pool), and the `lz4` CLI reads our
// frames (skipped when Debian's `lz4` is not installed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { COMPRESS_OFFLOAD_BYTES_MIN, createRealWorkers, GZIP_OFFLOAD_BYTES_MIN } from '../../../runtime/env/real/workers.ts';
import { LZ4_BLOCK_BYTES_MAX, Lz4FrameError, lz4FrameCompress, lz4FrameDecompress } from '../../../runtime/env/real/workers/lz4-frame.ts';

function bytes(n: number, seed: number, compressible: boolean): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = compressible && (i & 64) === 0 ? 97 + ((i >> 3) % 26) : x >>> 24;
  }
  return out;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const SIZES = [0, 1, 1000, GZIP_OFFLOAD_BYTES_MIN - 1, GZIP_OFFLOAD_BYTES_MIN, COMPRESS_OFFLOAD_BYTES_MIN - 1, COMPRESS_OFFLOAD_BYTES_MIN, LZ4_BLOCK_BYTES_MAX + 3];

test('gzip and lz4 round trip, inline and offloaded; gzip output is plain gzip', async () => {
  const w = createRealWorkers();
  try {
    for (const size of SIZES) {
      for (const compressible of [true, false]) {
        const data = bytes(size, size + 3, compressible);
        const gz = await w.compress('gzip', data);
        assert.ok(same(gunzipSync(gz), data), `gzip ${size} B`);
        assert.ok(same(await w.decompress('gzip', gzipSync(data)), data), `gunzip ${size} B`);
        const lz = await w.compress('lz4', data);
        assert.ok(same(await w.decompress('lz4', lz), data), `lz4 ${size} B compressible=${compressible}`);
        if (compressible && size >= COMPRESS_OFFLOAD_BYTES_MIN - 1) assert.ok(lz.byteLength < size * 0.8, `lz4 compresses ${size} B`);
      }
    }
    assert.ok(w.threadIds.length > 0, 'large buffers went to the pool');
  } finally {
    await w.close();
  }
});

test('compression below its threshold starts no thread', async () => {
  const w = createRealWorkers();
  try {
    const data = bytes(GZIP_OFFLOAD_BYTES_MIN - 1, 11, true);
    assert.ok(same(gunzipSync(await w.compress('gzip', data)), data));
    const lz = await w.compress('lz4', bytes(COMPRESS_OFFLOAD_BYTES_MIN - 1, 12, true));
    assert.equal((await w.decompress('lz4', lz)).byteLength, COMPRESS_OFFLOAD_BYTES_MIN - 1);
    assert.deepEqual(w.threadIds, []);
  } finally {
    await w.close();
  }
});

test('lz4 decoder rejects damaged and foreign frames', async () => {
  const data = bytes(100_000, 5, true);
  const frame = await lz4FrameCompress(data);
  const badSum = new Uint8Array(frame);
  badSum[badSum.length - 1]! ^= 0xff;
  await assert.rejects(lz4FrameDecompress(badSum), Lz4FrameError);
  await assert.rejects(lz4FrameDecompress(frame.subarray(0, frame.length - 9)), Lz4FrameError);
  await assert.rejects(lz4FrameDecompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19])), Lz4FrameError);
  const noSize = new Uint8Array(frame);
  noSize[4] = 0x64; // a CLI-style frame without content size: not ours
  await assert.rejects(lz4FrameDecompress(noSize), /only frames written by Shoal/);
});

const hasLz4 = spawnSync('lz4', ['--version']).status === 0;

test('the lz4 CLI tests and decodes our frames', { skip: hasLz4 ? false : 'lz4 CLI not installed (apt-get install -y lz4)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-lz4-'));
  try {
    for (const [name, data] of [
      ['empty', new Uint8Array(0)],
      ['text', bytes(3 * LZ4_BLOCK_BYTES_MAX + 12_345, 1, true)],
      ['random', bytes(LZ4_BLOCK_BYTES_MAX + 1, 2, false)],
    ] as const) {
      const file = join(dir, `${name}.lz4`);
      writeFileSync(file, await lz4FrameCompress(data));
      const t = spawnSync('lz4', ['-t', file]);
      assert.equal(t.status, 0, `lz4 -t ${name}: ${t.stderr}`);
      const d = spawnSync('lz4', ['-d', '-f', file, join(dir, name)]);
      assert.equal(d.status, 0, `lz4 -d ${name}: ${d.stderr}`);
      assert.ok(same(readFileSync(join(dir, name)), data), `lz4 -d ${name} gives the content back`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
