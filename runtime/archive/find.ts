// findArchived: one file of a shard (the `archpath` of a GetBatch item), format from the shard's name
// or, failing that, from its magic bytes (as AIS archive.MimeFile).
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ErrInvalidArgument, ErrRangeNotSatisfiable } from '../../protocol/errors.ts';
import type { Workers } from '../env/types.ts';
import { ByteReader } from './byte-reader.ts';
import { ArchiveFormatError } from './format-error.ts';
import { lz4DecodeFrames } from './lz4-decode.ts';
import { mimeOfName, type ArchiveMime } from './mime.ts';
import { asFormatError, lazyBytes, skipTake } from './range.ts';
import { findInTar, type TarInput } from './tar-read.ts';
import type { ArchivedFile, RandomAccess } from './types.ts';
import { findInZip } from './zip-read.ts';

const SNIFF_BYTES = 512;

/** AIS cmn/archive magics: ustar at 257, gzip 1f 8b, zip PK, LZ4 frame. */
function sniff(head: Uint8Array): ArchiveMime | undefined {
  if (head.byteLength >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === 'ustar') return '.tar';
  if (head[0] === 0x1f && head[1] === 0x8b) return '.tar.gz';
  if (head[0] === 0x50 && head[1] === 0x4b) return '.zip';
  if (head[0] === 0x04 && head[1] === 0x22 && head[2] === 0x4d && head[3] === 0x18) return '.tar.lz4';
  return undefined;
}

/** The decompressed tar bytes of a shard, from its start, opened on the first pull. Stopping the iteration closes the shard stream. */
export function tarBytes(mime: ArchiveMime, src: RandomAccess): AsyncIterable<Uint8Array> {
  return lazyBytes(() => openTarBytes(mime, src));
}

function openTarBytes(mime: ArchiveMime, src: RandomAccess): AsyncIterable<Uint8Array> {
  switch (mime) {
    case '.tar':
      return src.stream() as AsyncIterable<Uint8Array>;
    case '.tgz':
    case '.tar.gz':
      // Multi-member gzip (our own writer's output) is read through by gunzip.
      return pipeline(src.stream(), createGunzip(), (err) => void err) as AsyncIterable<Uint8Array>; // errors surface on the gunzip side
    case '.tar.lz4':
      return lz4DecodeFrames(src.stream() as AsyncIterable<Uint8Array>);
    case '.zip':
      throw new ArchiveFormatError('zip is not a tar');
  }
}

/** Headers of small files sit close together: read this much ahead, skip bodies beyond it. */
const TAR_READ_AHEAD_BYTES = 64 * 1024;

/** A plain tar read by seeking: headers are read, bodies beyond the read-ahead never. */
export function seekingInput(src: RandomAccess): TarInput {
  let pos = 0;
  let cache: { start: number; bytes: Uint8Array } | undefined;
  return {
    get pos() {
      return pos;
    },
    async read(n) {
      if (pos >= src.size) return undefined;
      // Never ask past the end: an object read beyond its size is a 416, not a short read.
      if (pos + n > src.size) throw new ArchiveFormatError(`corrupt tar: truncated at offset ${src.size}`);
      if (cache === undefined || pos < cache.start || pos + n > cache.start + cache.bytes.byteLength) {
        const want = Math.min(src.size - pos, Math.max(n, TAR_READ_AHEAD_BYTES));
        const bytes = await src.read(pos, want);
        if (bytes.byteLength < n) throw new ArchiveFormatError(`corrupt tar: truncated at offset ${pos + bytes.byteLength}`);
        cache = { start: pos, bytes };
      }
      const b = cache.bytes.subarray(pos - cache.start, pos - cache.start + n);
      pos += n;
      return b;
    },
    async skip(n) {
      if (pos + n > src.size) throw new ArchiveFormatError(`corrupt tar: truncated at offset ${src.size}`);
      pos += n;
    },
  };
}

/** A compressed tar read by decoding from the start. */
function streamingInput(r: ByteReader): TarInput {
  return {
    get pos() {
      return r.pos;
    },
    async read(n) {
      if (await r.atEof()) return undefined;
      return r.readExact(n);
    },
    skip: (n) => r.skip(n),
  };
}

async function findInTarShard(mime: ArchiveMime, src: RandomAccess, archpath: string): Promise<ArchivedFile | undefined> {
  if (mime === '.tar') {
    const hit = await findInTar(seekingInput(src), archpath);
    if (hit === undefined) return undefined;
    if (hit.offset + hit.size > src.size) throw new ArchiveFormatError(`corrupt tar: ${archpath} runs past the end`);
    return { size: hit.size, open: (start = 0, end = hit.size) => src.stream(hit.offset + start, hit.offset + end) };
  }
  const r = ByteReader.of(tarBytes(mime, src), 'tar');
  let hit;
  try {
    hit = await findInTar(streamingInput(r), archpath);
  } finally {
    await r.close();
  }
  if (hit === undefined) return undefined;
  const { offset, size } = hit;
  // Compressed: no seeking, each open decodes again from the start (the find pass is not kept open:
  // a caller that never opens would hold the shard's stream).
  return { size, open: (start = 0, end = size) => skipTake(tarBytes(mime, src), offset + start, end - start, `${archpath} in the shard`) };
}

export function checkedRange(f: ArchivedFile): ArchivedFile {
  return {
    size: f.size,
    open(start = 0, end = f.size): Readable {
      if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= f.size)) {
        throw new ErrRangeNotSatisfiable(`range [${start}, ${end}) of an archived file of ${f.size} bytes`, f.size);
      }
      return f.open(start, end);
    },
  };
}

/** The shard's format: from its name, else from its magic bytes; undefined when not an archive. */
export async function shardMime(shardName: string, src: RandomAccess): Promise<ArchiveMime | undefined> {
  return mimeOfName(shardName) ?? sniff(await src.read(0, Math.min(SNIFF_BYTES, src.size)));
}

/**
 * One file of a shard (format from the shard's name); undefined when absent. A corrupt or
 * unsupported shard → ErrInvalidArgument naming the shard. `open(start, end)`: bytes [start, end).
 */
export async function findArchived(workers: Workers, shardName: string, src: RandomAccess, archpath: string): Promise<ArchivedFile | undefined> {
  void workers; // decoding is streaming (zlib, pure-TS LZ4): no whole-buffer work for the pool
  if (archpath === '') throw new ErrInvalidArgument(`${shardName}: empty archpath`);
  const mime = await shardMime(shardName, src);
  if (mime === undefined) throw new ErrInvalidArgument(`${shardName} is not an archive (expecting .tar, .tgz, .tar.gz, .tar.lz4, .zip) to read ${archpath} from`);
  try {
    const f = mime === '.zip' ? await findInZip(src, archpath) : await findInTarShard(mime, src, archpath);
    return f === undefined ? undefined : checkedRange(f);
  } catch (err) {
    const e = asFormatError(err);
    if (e instanceof ArchiveFormatError) throw new ErrInvalidArgument(`${shardName} (${mime}): ${e.message}`);
    throw e;
  }
}
