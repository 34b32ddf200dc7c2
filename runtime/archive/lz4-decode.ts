// A streaming decoder of LZ4 frames as the `lz4` CLI writes them (and as Shoal's workers do):
// independent or linked blocks, optional block/content checksums and content size, skippable frames,
// frames one after another. Pure TS on the calling thread: the pool's codec needs a whole frame with
// a content size, which third-party frames do not carry. Memory: one block plus a 64 KiB window.
import { createXXHash32, type IHasher } from 'hash-wasm';
import { ByteReader } from './byte-reader.ts';
import { ArchiveFormatError } from './format-error.ts';

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_LEGACY_MAGIC = 0x184c2102;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_BLOCK_RAW_BIT = 0x80000000;
/** Matches reach back at most 64 KiB: what linked blocks need to keep of the previous output. */
const LZ4_WINDOW_BYTES = 64 * 1024;
const MIN_MATCH = 4;

function le32(b: Uint8Array, at = 0): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function corrupt(msg: string): ArchiveFormatError {
  return new ArchiveFormatError(`corrupt LZ4: ${msg}`);
}

function xxh32Of(h: IHasher, data: Uint8Array): number {
  h.init();
  h.update(data);
  return le32(h.digest('binary').reverse());
}

/**
 * Decodes one LZ4 block from `src` into `dst` at `dstPos` (up to `dstEnd`); matches may reach back
 * to `windowStart`. Returns the new end of output.
 */
export function lz4DecodeBlock(src: Uint8Array, dst: Uint8Array, dstPos: number, dstEnd: number, windowStart: number): number {
  let s = 0;
  let d = dstPos;
  const n = src.byteLength;
  for (;;) {
    if (s >= n) throw corrupt('block ends inside a sequence');
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= n) throw corrupt('literal length runs past the block');
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (s + lit > n || d + lit > dstEnd) throw corrupt('literals run past the block');
    if (lit < 32) for (let i = 0; i < lit; i++) dst[d + i] = src[s + i]!;
    else dst.set(src.subarray(s, s + lit), d);
    s += lit;
    d += lit;
    if (s === n) return d; // the last sequence has literals only
    if (s + 2 > n) throw corrupt('match offset runs past the block');
    const off = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (off === 0 || d - off < windowStart) throw corrupt('match offset out of range');
    let ml = token & 15;
    if (ml === 15) {
      let b: number;
      do {
        if (s >= n) throw corrupt('match length runs past the block');
        b = src[s++]!;
        ml += b;
      } while (b === 255);
    }
    ml += MIN_MATCH;
    if (d + ml > dstEnd) throw corrupt('match runs past the block size');
    const m = d - off;
    if (off >= ml && ml >= 32) dst.copyWithin(d, m, m + ml);
    else for (let i = 0; i < ml; i++) dst[d + i] = dst[m + i]!; // overlapping: repeats a pattern
    d += ml;
  }
}

/** The decoded bytes of a sequence of LZ4 frames. */
export async function* lz4DecodeFrames(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const r = ByteReader.of(input, 'LZ4 stream');
  const hasher = await createXXHash32(0);
  const contentHasher = await createXXHash32(0);
  try {
    let frames = 0;
    while (!(await r.atEof())) {
      const magic = le32(await r.readExact(4));
      if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
        await r.skip(le32(await r.readExact(4)));
        continue;
      }
      if (magic === LZ4_LEGACY_MAGIC) throw corrupt('legacy LZ4 format (lz4 -l) is not supported');
      if (magic !== LZ4_FRAME_MAGIC) throw corrupt(frames === 0 ? 'not an LZ4 frame' : `bad magic 0x${magic.toString(16)} after frame ${frames}`);
      frames++;
      yield* decodeFrame(r, hasher, contentHasher);
    }
    if (frames === 0) throw corrupt('empty input');
  } finally {
    await r.close();
  }
}

async function* decodeFrame(r: ByteReader, hasher: IHasher, contentHasher: IHasher): AsyncGenerator<Uint8Array> {
  const fd = await r.readExact(2);
  const flg = fd[0]!;
  const bd = fd[1]!;
  if (flg >> 6 !== 1) throw corrupt(`unknown frame version ${flg >> 6}`);
  if (flg & 0x02 || bd & 0x8f) throw corrupt('reserved descriptor bits set');
  const linked = (flg & 0x20) === 0;
  const blockCksum = (flg & 0x10) !== 0;
  const hasContentSize = (flg & 0x08) !== 0;
  const contentCksum = (flg & 0x04) !== 0;
  const hasDictId = (flg & 0x01) !== 0;
  const bsid = (bd >> 4) & 7;
  if (bsid < 4) throw corrupt(`bad block size id ${bsid}`);
  const blockMax = 1 << (8 + 2 * bsid);
  const rest = await r.readExact((hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0) + 1);
  const desc = new Uint8Array(2 + rest.byteLength - 1);
  desc.set(fd, 0);
  desc.set(rest.subarray(0, rest.byteLength - 1), 2);
  if (((xxh32Of(hasher, desc) >>> 8) & 0xff) !== rest[rest.byteLength - 1]) throw corrupt('frame header checksum mismatch');
  if (hasDictId) throw corrupt('frames with a dictionary id are not supported');
  const contentSize = hasContentSize ? Number(new DataView(rest.buffer, rest.byteOffset, 8).getBigUint64(0, true)) : -1;

  if (contentCksum) contentHasher.init();
  // Linked blocks: the previous 64 KiB of output sits in front of the block being decoded.
  const window = linked ? LZ4_WINDOW_BYTES : 0;
  let scratch: Uint8Array | undefined; // allocated at the first compressed block, then reused
  let kept = 0; // bytes of history at the front of `scratch`
  let total = 0;
  for (;;) {
    const word = le32(await r.readExact(4));
    if (word === 0) break;
    const raw = (word & LZ4_BLOCK_RAW_BIT) !== 0;
    const size = (word & ~LZ4_BLOCK_RAW_BIT) >>> 0;
    if (size > blockMax) throw corrupt(`block of ${size} bytes over the frame's maximum ${blockMax}`);
    const data = await r.readExact(size);
    if (blockCksum && le32(await r.readExact(4)) !== xxh32Of(hasher, data)) throw corrupt('block checksum mismatch');
    let chunk: Uint8Array;
    if (raw) {
      chunk = data; // input bytes are never reused: the view can be handed out
      if (linked) {
        scratch ??= new Uint8Array(window + blockMax);
        scratch.set(data, kept);
      }
    } else {
      scratch ??= new Uint8Array(window + blockMax);
      const end = lz4DecodeBlock(data, scratch, kept, kept + blockMax, 0);
      chunk = scratch.slice(kept, end); // a copy: scratch is reused for the next block
    }
    if (linked && scratch !== undefined) {
      const end = kept + chunk.byteLength;
      const keep = Math.min(window, end);
      scratch.copyWithin(0, end - keep, end);
      kept = keep;
    }
    total += chunk.byteLength;
    if (contentCksum) contentHasher.update(chunk);
    if (chunk.byteLength > 0) yield chunk;
  }
  if (contentSize >= 0 && total !== contentSize) throw corrupt(`frame holds ${total} bytes, its header says ${contentSize}`);
  if (contentCksum) {
    const want = le32(await r.readExact(4));
    if (le32(contentHasher.digest('binary').reverse()) !== want) throw corrupt('content checksum mismatch');
  }
}
