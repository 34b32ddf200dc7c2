// Workers.hashStream: the same digests as node:crypto for any chunking, pool threads used once a
// batch reaches the offload threshold, order kept across batches that hop threads.
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { createRealWorkers, inlineWorkers } from '../../../runtime/env/real/workers.ts';
import type { StreamHashType } from '../../../runtime/env/types.ts';

const TYPES: StreamHashType[] = ['md5', 'sha256'];
/** Small threshold so property runs offload without megabytes of input. */
const MIN_BYTES = 1024;

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, data.length]) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('Workers.hashStream', () => {
  const pool = createRealWorkers({ cksumOffloadBytesMin: MIN_BYTES });
  after(() => pool.close());

  it('matches node:crypto for random chunkings (pool and inline)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 6000 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom(...TYPES),
        async (data, cuts, type) => {
          const want = createHash(type).update(data).digest('hex');
          for (const w of [pool, inlineWorkers()]) {
            const h = w.hashStream(type);
            for (const c of split(data, cuts)) await h.update(c);
            assert.equal(await h.digest(), want);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('hashes on pool threads at or above the threshold', async () => {
    const w = createRealWorkers({ cksumOffloadBytesMin: 64 * 1024 });
    try {
      const data = new Uint8Array(300 * 1024).map((_, i) => (i * 31) & 0xff);
      const h = w.hashStream('md5');
      // un-awaited updates: order is still kept
      const pending = [h.update(data.subarray(0, 100 * 1024)), h.update(data.subarray(100 * 1024, 110 * 1024))];
      for (let off = 110 * 1024; off < data.length; off += 7000) pending.push(h.update(data.subarray(off, Math.min(off + 7000, data.length))));
      await Promise.all(pending);
      assert.equal(await h.digest(), createHash('md5').update(data).digest('hex'));
      assert.ok(w.threadIds.length > 0, 'pool threads started');
    } finally {
      await w.close();
    }
  });

  it('stays inline below the threshold (no threads started)', async () => {
    const w = createRealWorkers({ cksumOffloadBytesMin: 64 * 1024 });
    try {
      const h = w.hashStream('sha256');
      await h.update(Buffer.from('hello '));
      await h.update(Buffer.from('world'));
      assert.equal(await h.digest(), createHash('sha256').update('hello world').digest('hex'));
      assert.deepEqual(w.threadIds, []);
    } finally {
      await w.close();
    }
  });

  it('rejects after close', async () => {
    const w = inlineWorkers();
    const h = w.hashStream('md5');
    await w.close();
    await assert.rejects(h.update(Buffer.from('x')), { name: 'WorkersClosedError' });
  });
});
