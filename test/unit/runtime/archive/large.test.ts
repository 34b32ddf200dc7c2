// A 64 MiB entry streams through each writer and back out of each reader with bounded memory: live
// memory (after a forced GC) never grows by more than a few blocks, so nothing holds the entry whole.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setImmediate as tick } from 'node:timers/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createArchiveWriter, findArchived, type ArchiveMime } from '../../../../runtime/archive/index.ts';
import { inlineWorkers } from '../../../../runtime/env/real/workers.ts';
import { bigFileSource, tempDir, textBytes } from './helpers.ts';

const LARGE_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
/** Live memory growth allowed while 64 MiB flow: a few 1-4 MiB blocks and stream buffers. */
const LIVE_GROWTH_BYTES_MAX = 16 * 1024 * 1024;
const GC_EVERY_BYTES = 4 * 1024 * 1024;
const NAME = 'bck/large.bin';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Live bytes (JS heap + buffers) after full GCs (array buffers are swept concurrently: tick, again). */
async function live(): Promise<number> {
  gc();
  await tick();
  gc();
  await tick();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

class Peak {
  private max = 0;
  private sinceGc = 0;
  private constructor(private readonly base: number) {}
  static async start(): Promise<Peak> {
    return new Peak(await live());
  }
  async see(n: number): Promise<void> {
    this.sinceGc += n;
    if (this.sinceGc < GC_EVERY_BYTES) return;
    this.sinceGc = 0;
    this.max = Math.max(this.max, (await live()) - this.base);
  }
  check(what: string): void {
    assert.ok(this.max < LIVE_GROWTH_BYTES_MAX, `${what}: live memory grew by ${(this.max / 1048576).toFixed(1)} MiB`);
  }
}

const PATTERN = textBytes(CHUNK_BYTES, 5);

/** 64 MiB made on the fly, never held: the same 64 KiB of text (compressible, as real shards are not quite). */
function largeSource(): Readable {
  let left = LARGE_BYTES;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(CHUNK_BYTES, left);
      left -= n;
      this.push(PATTERN.subarray(0, n));
    },
  });
}

function expectedMd5(): string {
  const h = createHash('md5');
  for (let left = LARGE_BYTES; left > 0; left -= CHUNK_BYTES) h.update(PATTERN.subarray(0, Math.min(CHUNK_BYTES, left)));
  return h.digest('hex');
}

const run = promisify(execFile);

describe('64 MiB entries, bounded memory', () => {
  const tmp = tempDir();
  // Inline: pool threads keep their own buffers (wasm memory, transferred blocks) that this process's
  // counters include, which would hide what the streams hold. The pool path is in writers.test.ts.
  const workers = inlineWorkers();
  const want = expectedMd5();
  after(() => tmp.cleanup());

  for (const mime of ['.tar', '.tar.lz4', '.tgz', '.zip'] as ArchiveMime[]) {
    test(`${mime}: write, check with the system tools, read back whole and a range`, async () => {
      const file = join(tmp.dir, `large${mime}`);
      const peak = await Peak.start();
      const w = createArchiveWriter(workers, mime);
      const adding = (async () => {
        await w.add('bck/small', new Uint8Array([1, 2, 3]), 3, 1_700_000_000_000);
        await w.add(NAME, largeSource(), LARGE_BYTES, 1_700_000_000_000);
        await w.finish();
      })();
      const fh = await open(file, 'w');
      try {
        for await (const c of w.output as AsyncIterable<Uint8Array>) {
          await fh.write(c);
          await peak.see(c.byteLength);
        }
      } finally {
        await fh.close();
      }
      await adding;
      peak.check(`writing ${mime}`);

      const extract = mime === '.zip' ? `unzip -p ${file} ${NAME}` : `tar ${mime === '.tgz' ? '-z' : mime === '.tar.lz4' ? '-I lz4' : ''} -xOf ${file} ${NAME}`;
      const { stdout } = await run('sh', ['-c', `${extract} | md5sum`]);
      assert.equal(stdout.split(' ')[0], want, `${mime} extracted by the system tool`);

      const readPeak = await Peak.start();
      const f = await findArchived(workers, `shards/x${mime}`, bigFileSource(file), NAME);
      assert.ok(f);
      assert.equal(f.size, LARGE_BYTES);
      const h = createHash('md5');
      for await (const c of f.open() as AsyncIterable<Uint8Array>) {
        h.update(c);
        await readPeak.see(c.byteLength);
      }
      assert.equal(h.digest('hex'), want, `${mime} read back by findArchived`);
      readPeak.check(`reading ${mime}`);

      const start = LARGE_BYTES - 100_000;
      const tail: Buffer[] = [];
      for await (const c of f.open(start, start + 10) as AsyncIterable<Uint8Array>) tail.push(Buffer.from(c));
      assert.ok(Buffer.concat(tail).equals(PATTERN.subarray(start % CHUNK_BYTES, (start % CHUNK_BYTES) + 10)));
      assert.ok(statSync(file).size > 0);
    });
  }
});
