// The tar writer's output is byte for byte that of the implementation before the rewrite (headers
// built in place, one coalescing buffer, big data passed through uncopied): the SHA-256 digests below
// were taken from that implementation's output for the same entries. gzip is compared after gunzip
// (its bytes depend on the zlib that Node ships).
import { describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { TarWriter } from '../../../../runtime/archive/tar-writer.ts';
import { fileHeader, TAR_BLOCK, TAR_FILE_MODE, writeFileHeader } from '../../../../runtime/archive/tar-header.ts';
import { inlineWorkers } from '../../../../runtime/env/real/workers.ts';
import type { WorkerCodec } from '../../../../runtime/env/types.ts';
import { chunked, collect, noiseBytes, textBytes } from './helpers.ts';

const KiB = 1024;
/** Digests of the previous writer's output (see the header comment). */
const V0_SHA256 = {
  plain: 'b4c12627bf07d6f83439e407c5568f5509f44000d7c83faef793ae97bdcd831d',
  lz4: '1ebd586a718d86a5250b1f1bdce95d3dcec459812dfb4441df2dd99e7b40da21',
  /** sha256 over the hex digests of each single-entry archive, then of the empty archive. */
  alone: 'c06afc0b00caa5ea55aae9db624dacf0a2585338f0304fd74187d39ee6549f00',
  /** sha256 over every fileHeader(name, size, 0o644, mtime) of the grid below, in loop order. */
  headerGrid: 'b708167320b3267cb92d50327af41569467556b9c43076d4e10d497b91559a57',
} as const;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const MTIME_MS = 1_700_000_000_123;

interface Entry {
  name: string;
  data: Buffer;
  /** Chunk sizes when the entry is added as a stream. */
  stream?: number[];
  mtimeMs?: number;
}

const PREFIXED = `bck/${'p'.repeat(140)}/${'n'.repeat(99)}`; // ustar prefix + name
const UNSPLITTABLE = `bck/${'q'.repeat(200)}`; // needs a pax record
const SIZES = [0, 1, 7, 511, 512, 513, 1000, 10 * KiB, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 100 * KiB, 256 * KiB - 1536, 1024 * KiB];

function entries(): Entry[] {
  const out: Entry[] = [];
  let seed = 1;
  for (const size of SIZES) out.push({ name: `bck/obj-${size}`, data: noiseBytes(size, seed++) });
  for (const size of [1, 513, 10 * KiB, 64 * KiB, 70_001, 1024 * KiB + 3]) {
    out.push({ name: `bck/s/${size}`, data: textBytes(size, seed++), stream: [1, 511, 513, 4096, 65_536, 65_537] });
    out.push({ name: `bck/s64/${size}`, data: textBytes(size, seed++), stream: [65_536] });
  }
  out.push({ name: PREFIXED, data: noiseBytes(700, seed++) });
  out.push({ name: `${PREFIXED.slice(0, -9)}/streamed`, data: noiseBytes(700, seed++), stream: [100] });
  out.push({ name: `${'a'.repeat(30)}/${'b'.repeat(100)}`, data: noiseBytes(300, seed++) });
  out.push({ name: UNSPLITTABLE, data: noiseBytes(1500, seed++) });
  out.push({ name: 'bck/ünïcødé-名前.bin', data: noiseBytes(513, seed++) });
  out.push({ name: 'bck/latin1-é', data: noiseBytes(10, seed++), stream: [3] });
  out.push({ name: 'bck/emoji-😀/x', data: noiseBytes(64 * KiB + 1, seed++) });
  out.push({ name: 'bck/ctl\u0001\u007f', data: noiseBytes(5, seed++) });
  out.push({ name: 'bck/mtime-0', data: noiseBytes(3, seed++), mtimeMs: 0 });
  out.push({ name: 'bck/mtime-neg', data: noiseBytes(3, seed++), mtimeMs: -5000 });
  out.push({ name: 'bck/mtime-frac', data: noiseBytes(3, seed++), mtimeMs: 1999.999 });
  out.push({ name: 'bck/mtime-huge', data: noiseBytes(3, seed++), mtimeMs: 9e15 });
  out.push({ name: 'bck/mtime-max', data: noiseBytes(3, seed++), mtimeMs: 0o77777777777 * 1000 });
  out.push({ name: 'bck/mtime-nan', data: noiseBytes(3, seed++), mtimeMs: Number.NaN });
  // Many tiny entries: several coalescing buffers fill, entries straddle their ends.
  for (let i = 0; i < 600; i++) out.push({ name: `bck/tiny/${i}`, data: noiseBytes(i % 997, seed++), mtimeMs: MTIME_MS + i * 1000 });
  return out;
}

type Writer = { output: NodeJS.ReadableStream; add(n: string, d: Uint8Array | import('node:stream').Readable, s: number, m: number): Promise<void>; finish(): Promise<void> };

async function write(w: Writer, list: Entry[], pipelined: boolean): Promise<Buffer> {
  const out = collect(w.output as import('node:stream').Readable);
  const adds: Promise<void>[] = [];
  for (const e of list) {
    const add = w.add(e.name, e.stream ? chunked(e.data, e.stream) : e.data, e.data.byteLength, e.mtimeMs ?? MTIME_MS);
    if (pipelined) adds.push(add);
    else await add;
  }
  await Promise.all(adds);
  await w.finish();
  return out;
}

describe('tar writer output is byte-identical to the previous implementation', () => {
  const list = entries();
  for (const codec of [undefined, 'gzip', 'lz4'] as (WorkerCodec | undefined)[]) {
    for (const pipelined of [false, true]) {
      test(`${codec ?? 'plain'} tar, adds ${pipelined ? 'pipelined' : 'one at a time'}`, async () => {
        const got = await write(new TarWriter(inlineWorkers(), codec), list, pipelined);
        if (codec === 'gzip') assert.equal(sha256(gunzipSync(got)), V0_SHA256.plain);
        else assert.equal(sha256(got), codec === 'lz4' ? V0_SHA256.lz4 : V0_SHA256.plain);
      });
    }
  }

  test('each entry alone, and an empty archive', async () => {
    const h = createHash('sha256');
    for (const e of [...list.slice(0, 60), ...list.slice(-620, -590)]) h.update(sha256(await write(new TarWriter(inlineWorkers(), undefined), [e], false)));
    h.update(sha256(await write(new TarWriter(inlineWorkers(), undefined), [], false)));
    assert.equal(h.digest('hex'), V0_SHA256.alone);
  });
});

describe('writeFileHeader', () => {
  const names = ['a', 'bck/obj', 'x'.repeat(100), PREFIXED, `${'p'.repeat(155)}/${'n'.repeat(100)}`, `${'p'.repeat(156)}/n`, `a/${'n'.repeat(101)}`, `${'x'.repeat(101)}/`, UNSPLITTABLE, 'bck/ü', 'é', '\ud800'];
  const sizes = [0, 1, 511, 512, 0o7777, 2 ** 31, 2 ** 32 + 5, 0o77777777777, 0o77777777777 + 1, Number.MAX_SAFE_INTEGER];
  const mtimes = [0, -1, 999, MTIME_MS, 0o77777777777 * 1000 + 999, 0o77777777777 * 1000 + 1000, Number.NaN, Number.POSITIVE_INFINITY];

  test('writes what fileHeader builds, in place, or declines (nothing else changes outside its block)', () => {
    const grid = createHash('sha256');
    for (const name of names) {
      for (const size of sizes) {
        for (const mtimeMs of mtimes) {
          const ref = fileHeader(name, size, TAR_FILE_MODE, mtimeMs);
          grid.update(ref);
          const buf = Buffer.alloc(3 * TAR_BLOCK, 0xee);
          if (writeFileHeader(buf, TAR_BLOCK + 3, name, size, mtimeMs)) {
            assert.equal(ref.byteLength, TAR_BLOCK, 'in place only for a plain ustar header');
            assert.ok(buf.subarray(TAR_BLOCK + 3, 2 * TAR_BLOCK + 3).equals(ref), `writeFileHeader(${name.slice(0, 20)}, ${size}, ${mtimeMs})`);
            assert.ok(buf.subarray(0, TAR_BLOCK + 3).every((b) => b === 0xee) && buf.subarray(2 * TAR_BLOCK + 3).every((b) => b === 0xee), 'outside the block untouched');
          } else {
            const pax = ref.byteLength > TAR_BLOCK;
            const big = size > 0o77777777777;
            assert.ok(pax || big || !Number.isFinite(mtimeMs), `declined ${name.slice(0, 20)}, ${size}, ${mtimeMs} for no reason`);
          }
        }
      }
    }
    assert.equal(grid.digest('hex'), V0_SHA256.headerGrid, 'fileHeader builds what the previous implementation built');
  });
});

describe('coalescing', () => {
  test('a small entry is copied: its buffer may be reused once the add resolved', async () => {
    const w = new TarWriter(inlineWorkers(), undefined);
    const out = collect(w.output);
    const data = Buffer.from('first');
    await w.add('b/1', data, 5, MTIME_MS);
    data.write('XXXXX');
    await w.add('b/2', data, 5, MTIME_MS);
    await w.finish();
    const ref = new TarWriter(inlineWorkers(), undefined); // the same entries from buffers nobody reuses
    const refOut = collect(ref.output);
    await ref.add('b/1', Buffer.from('first'), 5, MTIME_MS);
    await ref.add('b/2', Buffer.from('XXXXX'), 5, MTIME_MS);
    await ref.finish();
    assert.ok((await out).equals(await refOut));
  });

  test('pipelined small entries go out in few large writes', async () => {
    const w = new TarWriter(inlineWorkers(), undefined);
    const sizes: number[] = [];
    w.output.on('data', (c: Uint8Array) => sizes.push(c.byteLength));
    const ended = new Promise((r) => w.output.once('end', r));
    const data = noiseBytes(KiB);
    const adds: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) adds.push(w.add(`b/${i}`, data, KiB, MTIME_MS));
    await Promise.all(adds);
    await w.finish();
    await ended;
    assert.equal(sizes.reduce((a, b) => a + b, 0), 1000 * 1536 + 1024);
    assert.ok(sizes.length <= 10, `${sizes.length} writes`);
  });
});
