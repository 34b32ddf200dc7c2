// realDisk().readRange: small reads share a slab (views of one ArrayBuffer); a view handed out is
// never overwritten by later reads, across slab rollovers, and short reads return what is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realDisk, SLAB_READ_BYTES_MAX, SYNC_READ_BYTES_MAX } from '../../../../../runtime/env/real/disk.ts';

function bytes(n: number, salt: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + salt * 17 + (i >>> 8)) & 0xff;
  return b;
}

test('small reads keep their bytes while many more reads (several slabs) follow', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-slab-'));
  try {
    const disk = realDisk();
    const sizes = [0, 1, 100, 4096, 4097, 10 * 1024, 64 * 1024 - 1, SLAB_READ_BYTES_MAX, SLAB_READ_BYTES_MAX + 1, 200 * 1024];
    const files = await Promise.all(
      sizes.map(async (n, i) => {
        const path = join(dir, `f${i}`);
        const data = bytes(n, i);
        await writeFile(path, data);
        return { path, data };
      }),
    );
    const kept: { got: Uint8Array; want: Buffer }[] = [];
    for (let round = 0; round < 60; round++) {
      // ~2.5 MiB per round: the slab is replaced many times while the earlier views stay alive
      for (const f of files) {
        kept.push({ got: await disk.readRange(f.path, 0, f.data.length + 1), want: f.data }); // +1: a short read
        const off = Math.min(3, f.data.length);
        kept.push({ got: await disk.readRange(f.path, off, Math.max(0, f.data.length - off - 1)), want: f.data.subarray(off, Math.max(off, f.data.length - 1)) });
      }
    }
    for (const [i, k] of kept.entries()) assert.ok(Buffer.from(k.got).equals(k.want), `read #${i} (${k.want.length} bytes) changed`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a read past the end returns the bytes that are there; a missing file rejects with ENOENT', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-slab-'));
  try {
    const disk = realDisk();
    const path = join(dir, 'f');
    await writeFile(path, bytes(1000, 1));
    assert.equal((await disk.readRange(path, 990, 100)).byteLength, 10);
    assert.equal((await disk.readRange(path, 5000, 100)).byteLength, 0);
    assert.ok(SYNC_READ_BYTES_MAX > SLAB_READ_BYTES_MAX);
    await assert.rejects(disk.readRange(join(dir, 'nope'), 0, 10), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
