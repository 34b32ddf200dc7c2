// LZ4 frame format (what the `lz4` CLI and `tar -I lz4` read) written over lz4-wasm block compression.
// lz4-wasm only does raw blocks with a 4-byte size prefix; the frame around them is ours:
// magic, FLG/BD (independent blocks, content checksum, content size), header checksum, blocks as
// LE32 size + data (bit 31 = stored raw), end mark 0, LE32 xxh32 of the content.
// The decoder reads OUR frames only: independent blocks and a content-size field are required
// (lz4-wasm must be told each block's exact decompressed size). Third-party frames need a full decoder.
import { compress as lz4Block, decompress as lz4Unblock } from 'lz4-wasm-nodejs';
import { createXXHash32, type IHasher } from 'hash-wasm';

export const LZ4_FRAME_MAGIC = 0x184d2204;
/** Version 01, independent blocks, content size present, content checksum present. */
export const LZ4_FRAME_FLG = 0x6c;
/** Block max size id 7 = 4 MiB. */
export const LZ4_FRAME_BD = 0x70;
export const LZ4_BLOCK_BYTES_MAX = 4 * 1024 * 1024;
const LZ4_FLG_CONTENT_SIZE = 0x08;
const LZ4_FLG_CONTENT_CKSUM = 0x04;
const LZ4_FLG_BLOCK_INDEPENDENT = 0x20;
const LZ4_FLG_BLOCK_CKSUM = 0x10;
const LZ4_BLOCK_RAW_BIT = 0x80000000;
const LZ4_HEADER_BYTES = 4 + 2 + 8 + 1;

export class Lz4FrameError extends Error {
  override name = 'Lz4FrameError';
}

let hasherP: Promise<IHasher> | undefined;
/** One xxh32 hasher per thread (wasm hashers cost ~140 µs to create); calls here never interleave. */
async function xxh32(): Promise<IHasher> {
  hasherP ??= createXXHash32(0);
  const h = await hasherP;
  h.init();
  return h;
}

function xxh32Of(h: IHasher, parts: Uint8Array[]): number {
  h.init();
  for (const p of parts) h.update(p);
  return new DataView(h.digest('binary').buffer).getUint32(0, false);
}

export async function lz4FrameCompress(data: Uint8Array): Promise<Uint8Array> {
  const h = await xxh32();
  const header = new Uint8Array(LZ4_HEADER_BYTES);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, LZ4_FRAME_MAGIC, true);
  header[4] = LZ4_FRAME_FLG;
  header[5] = LZ4_FRAME_BD;
  hv.setBigUint64(6, BigInt(data.byteLength), true);
  // Header checksum: second byte of xxh32 over the descriptor (FLG .. content size).
  header[14] = (xxh32Of(h, [header.subarray(4, 14)]) >>> 8) & 0xff;
  const parts: Uint8Array[] = [header];
  let total = header.byteLength;
  for (let off = 0; off < data.byteLength; off += LZ4_BLOCK_BYTES_MAX) {
    const raw = data.subarray(off, Math.min(data.byteLength, off + LZ4_BLOCK_BYTES_MAX));
    const packed = lz4Block(raw).subarray(4); // drop lz4_flex's size prefix
    const stored = packed.byteLength < raw.byteLength ? packed : raw;
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, stored === raw ? (raw.byteLength | LZ4_BLOCK_RAW_BIT) >>> 0 : packed.byteLength, true);
    parts.push(size, stored);
    total += 4 + stored.byteLength;
  }
  const tail = new Uint8Array(8); // end mark 0 + content checksum
  new DataView(tail.buffer).setUint32(4, xxh32Of(h, [data]), true);
  parts.push(tail);
  total += tail.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export async function lz4FrameDecompress(frame: Uint8Array): Promise<Uint8Array> {
  const h = await xxh32();
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.byteLength < LZ4_HEADER_BYTES + 4 || v.getUint32(0, true) !== LZ4_FRAME_MAGIC) throw new Lz4FrameError('not an LZ4 frame');
  const flg = frame[4]!;
  if (!(flg & LZ4_FLG_CONTENT_SIZE) || !(flg & LZ4_FLG_BLOCK_INDEPENDENT) || flg & LZ4_FLG_BLOCK_CKSUM) {
    throw new Lz4FrameError(`unsupported LZ4 frame flags 0x${flg.toString(16)}: only frames written by Shoal are read`);
  }
  if (frame[14] !== ((xxh32Of(h, [frame.subarray(4, 14)]) >>> 8) & 0xff)) throw new Lz4FrameError('LZ4 header checksum mismatch');
  const contentBytes = Number(v.getBigUint64(6, true));
  const blockMax = 1 << (8 + 2 * ((frame[5]! >> 4) & 7));
  const out = new Uint8Array(contentBytes);
  let at = LZ4_HEADER_BYTES;
  let written = 0;
  for (;;) {
    if (at + 4 > frame.byteLength) throw new Lz4FrameError('truncated LZ4 frame');
    const word = v.getUint32(at, true);
    at += 4;
    if (word === 0) break;
    const size = word & ~LZ4_BLOCK_RAW_BIT;
    if (at + size > frame.byteLength) throw new Lz4FrameError('truncated LZ4 block');
    const block = frame.subarray(at, at + size);
    at += size;
    const want = Math.min(blockMax, contentBytes - written);
    if (word & LZ4_BLOCK_RAW_BIT) {
      if (size > want) throw new Lz4FrameError('LZ4 block larger than the content');
      out.set(block, written);
      written += size;
    } else {
      const prefixed = new Uint8Array(4 + size); // lz4_flex wants the exact size up front
      new DataView(prefixed.buffer).setUint32(0, want, true);
      prefixed.set(block, 4);
      out.set(lz4Unblock(prefixed), written);
      written += want;
    }
  }
  if (written !== contentBytes) throw new Lz4FrameError(`LZ4 content size ${written}, header says ${contentBytes}`);
  if (flg & LZ4_FLG_CONTENT_CKSUM) {
    if (at + 4 > frame.byteLength) throw new Lz4FrameError('truncated LZ4 frame checksum');
    if (v.getUint32(at, true) !== xxh32Of(h, [out])) throw new Lz4FrameError('LZ4 content checksum mismatch');
  }
  return out;
}
