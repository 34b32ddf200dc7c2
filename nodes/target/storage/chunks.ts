// Chunked objects (AIS core/ufest.go): a completed multipart upload stays as its part files in
// `<mpath>/@<prov>/<bck>/%ch/<uploadId>/<partNumber>` — never stitched into one file — and its LOM
// (format v2, lom.ts) carries the manifest: the ordered chunks with size, MD5 and CRC32C, encoded
// with msgpack and checksummed (MD5 of the encoding), so a corrupted manifest is an error, not
// garbage bytes. Reads stream across chunks; the whole-object checksum is the CRC32C of the bytes,
// combined from the chunks' CRC32Cs (zlib crc32_combine), so no completion reads the data again.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Packr } from 'msgpackr';
import { ErrBadCksum } from '../../../protocol/errors.ts';
import type { StorageCtx } from './ctx.ts';
import type { ByteRange } from './get.ts';
import { chunksDir, objPath, type BckRef } from './layout.ts';
import type { ChunkRef, ObjMeta } from './lom.ts';
import { copyFileVerified } from './copy-file.ts';

export const CHUNK_MANIFEST_V1 = 1;

export interface Chunk {
  /** The part number it was uploaded as (its file name). */
  num: number;
  size: number;
  /** Hex MD5 of the chunk (its S3 part ETag). */
  md5: string;
  /** Hex CRC32C of the chunk (the whole object's CRC32C is combined from these). */
  crc32c: string;
}

export interface ChunkManifest {
  id: string;
  chunks: Chunk[];
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export function manifestCksum(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

export function encodeManifest(m: ChunkManifest): ChunkRef {
  const manifest = packr.pack([CHUNK_MANIFEST_V1, m.id, m.chunks.map((c) => [c.num, c.size, c.md5, c.crc32c])]);
  return { id: m.id, manifest, cksum: manifestCksum(manifest) };
}

function badManifest(objName: string, why: string): ErrBadCksum {
  return new ErrBadCksum(`BAD META: chunk manifest of "${objName}": ${why}`);
}

/** Verifies the checksum, then decodes; any damage is ErrBadCksum (a disk fault to report). */
export function decodeManifest(ref: ChunkRef, objName: string): ChunkManifest {
  const got = manifestCksum(ref.manifest);
  if (got !== ref.cksum) throw badManifest(objName, `checksum ${got} != ${ref.cksum}`);
  let v: unknown;
  try {
    v = packr.unpack(ref.manifest);
  } catch (e) {
    throw badManifest(objName, (e as Error).message);
  }
  if (!Array.isArray(v) || v.length !== 3 || v[0] !== CHUNK_MANIFEST_V1 || v[1] !== ref.id || !Array.isArray(v[2])) throw badManifest(objName, 'bad shape');
  const chunks: Chunk[] = [];
  for (const c of v[2] as unknown[]) {
    if (!Array.isArray(c) || c.length !== 4) throw badManifest(objName, 'bad chunk');
    const [num, size, md5, crc32c] = c as unknown[];
    if (typeof num !== 'number' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || typeof md5 !== 'string' || typeof crc32c !== 'string') {
      throw badManifest(objName, 'bad chunk');
    }
    chunks.push({ num, size, md5, crc32c });
  }
  return { id: ref.id, chunks };
}

export function chunkDirPath(mpath: string, bck: BckRef, id: string): string {
  return `${chunksDir(mpath, bck)}/${id}`;
}

export function chunkPath(mpath: string, bck: BckRef, id: string, num: number): string {
  return `${chunkDirPath(mpath, bck, id)}/${num}`;
}

/**
 * The bytes `range` (inclusive, already clamped) of a chunked object, streamed chunk by chunk. Each
 * chunk's size is checked before it is read, so a truncated chunk fails the stream (the response is
 * cut) instead of silently serving fewer bytes.
 */
export function readChunks(ctx: StorageCtx, mpath: string, bck: BckRef, objName: string, meta: ObjMeta, range?: ByteRange): Readable {
  const m = decodeManifest(meta.chunks!, objName);
  const start = range ? range.start : 0;
  const end = range ? range.end : meta.size - 1;
  const disk = ctx.env.disk;
  async function* gen(): AsyncGenerator<Uint8Array> {
    let off = 0;
    for (const c of m.chunks) {
      const cStart = off;
      const cEnd = off + c.size - 1;
      off += c.size;
      if (c.size === 0 || cEnd < start) continue;
      if (cStart > end) break;
      const path = chunkPath(mpath, bck, m.id, c.num);
      const st = await disk.stat(path);
      if (!st?.isFile || st.size !== c.size) {
        throw new ErrBadCksum(`BAD DATA: chunk ${c.num} of "${objName}" has ${st?.size ?? 'no'} bytes on disk, ${c.size} in its manifest`);
      }
      const from = Math.max(start, cStart) - cStart;
      const to = Math.min(end, cEnd) - cStart;
      yield* disk.createReadStream(path, { start: from, end: to }) as AsyncIterable<Uint8Array>;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

/** Re-reads every chunk: size and CRC32C per chunk against the manifest. */
export async function validateChunks(ctx: StorageCtx, mpath: string, bck: BckRef, objName: string, meta: ObjMeta): Promise<void> {
  const m = decodeManifest(meta.chunks!, objName);
  let total = 0;
  for (const c of m.chunks) {
    const h = await ctx.cksums.acquire('crc32c');
    let size = 0;
    let got: string;
    try {
      for await (const b of ctx.env.disk.createReadStream(chunkPath(mpath, bck, m.id, c.num)) as AsyncIterable<Uint8Array>) {
        h.update(b);
        size += b.byteLength;
      }
      got = h.digest();
    } catch (e) {
      throw new ErrBadCksum(`BAD DATA: chunk ${c.num} of "${objName}" cannot be read: ${(e as Error).message}`);
    } finally {
      ctx.cksums.release(h);
    }
    if (size !== c.size) throw new ErrBadCksum(`BAD DATA: chunk ${c.num} of "${objName}" read back ${size} bytes, ${c.size} in its manifest`);
    if (got !== c.crc32c) throw new ErrBadCksum(`BAD DATA CHECKSUM: chunk ${c.num} of "${objName}": crc32c(${got} != ${c.crc32c})`);
    total += size;
  }
  if (total !== meta.size) throw new ErrBadCksum(`BAD DATA: "${objName}" has ${total} bytes in its chunks, ${meta.size} in its metadata`);
}

// CRC32C combination (zlib crc32_combine over GF(2), Castagnoli polynomial): crc(A‖B) from crc(A),
// crc(B) and len(B), so completing an upload never re-reads its parts.
const CRC32C_POLY = 0x82f63b78;

function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i]!;
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n]!);
}

export function crc32cCombine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = CRC32C_POLY; // the operator for one zero bit
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0;
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four zero bits
  let len = len2;
  for (;;) {
    gf2Square(even, odd); // first round: one zero byte
    if (len % 2 === 1) crc1 = gf2Times(even, crc1);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2 === 1) crc1 = gf2Times(odd, crc1);
    len = Math.floor(len / 2);
    if (len === 0) break;
  }
  return (crc1 ^ crc2) >>> 0;
}

/** The whole object's CRC32C (hex) from its chunks'. */
export function wholeCrc32c(chunks: readonly Chunk[]): string {
  let crc = 0; // CRC32C of the empty string
  for (const c of chunks) crc = crc32cCombine(crc, parseInt(c.crc32c, 16), c.size);
  return crc.toString(16).padStart(8, '0');
}

/** S3 multipart ETag: MD5 of the concatenated binary part MD5s, then `-<count>`. */
export function multipartEtag(md5s: readonly string[]): string {
  const h = createHash('md5');
  for (const m of md5s) h.update(Buffer.from(m, 'hex'));
  return `${h.digest('hex')}-${md5s.length}`;
}

/** Removes an object's bytes: its file, or its chunk dir when chunked (the caller handles the index). */
export async function removeObjData(ctx: StorageCtx, mpath: string, bck: BckRef, objName: string, meta: ObjMeta): Promise<void> {
  if (meta.chunks) await ctx.env.disk.rmrf(chunkDirPath(mpath, bck, meta.chunks.id));
  else await ctx.env.disk.unlink(objPath(mpath, bck, objName));
}

/** Copies a chunked object's chunks into `toDir` (resilver), each verified by size and CRC32C. */
export async function copyChunksVerified(ctx: StorageCtx, fromMpath: string, toDir: string, bck: BckRef, objName: string, meta: ObjMeta): Promise<void> {
  const m = decodeManifest(meta.chunks!, objName);
  await ctx.env.disk.mkdir(toDir);
  for (const c of m.chunks) {
    await copyFileVerified(ctx, chunkPath(fromMpath, bck, m.id, c.num), `${toDir}/${c.num}`, { size: c.size, cksumType: 'crc32c', cksumValue: c.crc32c }, objName);
  }
}

/**
 * S3 `GET/HEAD ?partNumber=N` of a chunked object: the byte range of its N-th chunk (1-based, in
 * object order) and the chunk count; undefined when the object is not chunked or N is past the end.
 */
export function partRange(meta: ObjMeta, objName: string, n: number): { start: number; end: number; count: number } | undefined {
  if (!meta.chunks) return undefined;
  const m = decodeManifest(meta.chunks, objName);
  if (!Number.isSafeInteger(n) || n < 1 || n > m.chunks.length) return undefined;
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += m.chunks[i]!.size;
  return { start, end: start + m.chunks[n - 1]!.size - 1, count: m.chunks.length };
}
