// A 64 MiB buffer through the pool: checksums and an LZ4 round trip (many 4 MiB blocks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRealWorkers } from '../../../runtime/env/real/workers.ts';

const LARGE_BYTES = 64 * 1024 * 1024;

test('64 MiB: md5, sha256 and lz4 through the pool', async () => {
  const data = new Uint8Array(LARGE_BYTES);
  for (let i = 0; i < LARGE_BYTES; i += 4096) data[i] = (i >>> 12) & 0xff; // sparse: compresses well, still distinct blocks
  const w = createRealWorkers();
  try {
    const [md5, sha256] = await Promise.all([w.cksum('md5', data), w.cksum('sha256', data)]);
    assert.equal(md5, createHash('md5').update(data).digest('hex'));
    assert.equal(sha256, createHash('sha256').update(data).digest('hex'));
    const lz = await w.compress('lz4', data);
    assert.ok(lz.byteLength < LARGE_BYTES / 10);
    const back = await w.decompress('lz4', lz, { transfer: true });
    assert.equal(Buffer.compare(back, data), 0);
    assert.equal(lz.byteLength, 0, 'given up with transfer: detached');
    assert.ok(w.threadIds.length > 0);
  } finally {
    await w.close();
  }
});
