// The work itself, the same on the main thread (inline, below the offload threshold), in a pool
// thread, and in the fake Env: checksum, gzip and LZ4-frame of one whole buffer.
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CksumType } from '../../../../protocol/apc.ts';
import { CksumPool } from '../../../cksum/cksum.ts';
import { lz4FrameCompress, lz4FrameDecompress } from './lz4-frame.ts';

export const CODECS = ['gzip', 'lz4'] as const;
export type Codec = (typeof CODECS)[number];

/** One per thread: wasm hashers are costly to create, node:crypto ones are not but pooling is harmless. */
const cksums = new CksumPool();

export async function cksumInline(type: CksumType, data: Uint8Array): Promise<string> {
  const c = await cksums.acquire(type);
  try {
    c.update(data);
    return c.digest();
  } finally {
    cksums.release(c);
  }
}

export async function compressInline(codec: Codec, data: Uint8Array): Promise<Uint8Array> {
  if (codec === 'gzip') return gzipSync(data);
  return lz4FrameCompress(data);
}

export async function decompressInline(codec: Codec, data: Uint8Array): Promise<Uint8Array> {
  if (codec === 'gzip') return gunzipSync(data);
  return lz4FrameDecompress(data);
}
