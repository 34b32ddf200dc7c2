// Finding one file in a .zip with yauzl over the shard's random access: the central directory and
// one local header are read, never the whole shard.
import { Buffer } from 'node:buffer';
import { pipeline, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { RandomAccessReader, fromRandomAccessReader, type Entry, type ZipFile } from 'yauzl';
import { ArchiveFormatError } from './format-error.ts';
import { namesEq } from './names.ts';
import { lazyBytes, skipTake } from './range.ts';
import type { ArchivedFile, RandomAccess } from './types.ts';

const ZIP_METHOD_STORED = 0;
const ZIP_METHOD_DEFLATED = 8;

/** Directory records are read one small piece at a time: fetch this much ahead and serve from it. */
const ZIP_READ_AHEAD_BYTES = 64 * 1024;

class ShardReader extends RandomAccessReader {
  private cache: { start: number; bytes: Uint8Array } | undefined;

  constructor(private readonly src: RandomAccess) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return this.src.stream(start, end);
  }

  /** Small reads (directory, local headers) in one call instead of a stream each. */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.readCached(position, length).then(
      (b) => {
        buffer.set(b, offset);
        callback(null);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  override close(callback: (err: Error | null) => void): void {
    callback(null); // nothing of ours is held open
  }

  private async readCached(position: number, length: number): Promise<Uint8Array> {
    if (position + length > this.src.size) throw new ArchiveFormatError('corrupt zip: unexpected end of data');
    const c = this.cache;
    if (c !== undefined && position >= c.start && position + length <= c.start + c.bytes.byteLength) {
      return c.bytes.subarray(position - c.start, position - c.start + length);
    }
    const want = Math.min(this.src.size - position, Math.max(length, ZIP_READ_AHEAD_BYTES));
    const bytes = await this.src.read(position, want);
    if (bytes.byteLength < length) throw new ArchiveFormatError('corrupt zip: unexpected end of data');
    this.cache = { start: position, bytes };
    return bytes.subarray(0, length);
  }
}

function openZip(src: RandomAccess): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // autoClose off: the zip stays usable for `open` after the directory walk.
    fromRandomAccessReader(new ShardReader(src), src.size, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zf) =>
      err ? reject(zipError(err)) : resolve(zf),
    );
  });
}

function zipError(err: Error): Error {
  return err instanceof ArchiveFormatError ? err : new ArchiveFormatError(`corrupt zip: ${err.message}`);
}

/** The next central directory entry, or undefined at the end. */
function nextEntry(zf: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zf.removeListener('entry', onEntry);
      zf.removeListener('end', onEnd);
      zf.removeListener('error', onError);
    };
    const onEntry = (e: Entry): void => (cleanup(), resolve(e));
    const onEnd = (): void => (cleanup(), resolve(undefined));
    const onError = (err: Error): void => (cleanup(), reject(zipError(err)));
    zf.on('entry', onEntry);
    zf.on('end', onEnd);
    zf.on('error', onError);
    zf.readEntry();
  });
}

export async function findInZip(src: RandomAccess, archpath: string): Promise<ArchivedFile | undefined> {
  const zf = await openZip(src);
  for (let i = 0; i < zf.entryCount; i++) {
    const e = await nextEntry(zf);
    if (e === undefined) break;
    if (e.fileName.endsWith('/') || !namesEq(e.fileName, archpath)) continue;
    return entryFile(zf, e, src);
  }
  return undefined;
}

function entryFile(zf: ZipFile, e: Entry, src: RandomAccess): Promise<ArchivedFile> {
  if (e.isEncrypted()) throw new ArchiveFormatError(`zip entry ${e.fileName} is encrypted`);
  if (e.compressionMethod !== ZIP_METHOD_STORED && e.compressionMethod !== ZIP_METHOD_DEFLATED) {
    throw new ArchiveFormatError(`zip entry ${e.fileName}: unsupported compression method ${e.compressionMethod}`);
  }
  return zipFile(zf, e, src);
}

/** A zip's central directory read once (GetBatch coloc 2): each lookup is then a local header read. */
export interface ZipIndex {
  /** Rough bytes held (entries and the read-ahead), for the shard cache's budget. */
  bytes: number;
  find(archpath: string): Promise<ArchivedFile | undefined>;
}

export async function indexZip(src: RandomAccess): Promise<ZipIndex> {
  const zf = await openZip(src);
  const byName = new Map<string, Entry>();
  let bytes = ZIP_READ_AHEAD_BYTES;
  for (let i = 0; i < zf.entryCount; i++) {
    const e = await nextEntry(zf);
    if (e === undefined) break;
    if (e.fileName.endsWith('/')) continue;
    const key = e.fileName.replace(/^\//, ''); // namesEq: a leading '/' does not count
    if (!byName.has(key)) byName.set(key, e); // the first one wins, as a scan would find it
    bytes += 2 * e.fileName.length + 256;
  }
  return {
    bytes,
    async find(archpath) {
      const e = byName.get(archpath.replace(/^\//, ''));
      return e === undefined ? undefined : entryFile(zf, e, src);
    },
  };
}

async function zipFile(zf: ZipFile, e: Entry, src: RandomAccess): Promise<ArchivedFile> {
  let dataStart: number;
  try {
    dataStart = (await zf.readLocalFileHeaderPromise(e, { minimal: true })).fileDataStart;
  } catch (err) {
    throw zipError(err instanceof Error ? err : new Error(String(err)));
  }
  if (dataStart + e.compressedSize > src.size) throw new ArchiveFormatError(`corrupt zip: entry ${e.fileName} runs past the end`);
  if (e.compressionMethod === ZIP_METHOD_STORED && e.compressedSize !== e.uncompressedSize) {
    throw new ArchiveFormatError(`corrupt zip: stored entry ${e.fileName} with different sizes`);
  }
  const size = e.uncompressedSize;
  return {
    size,
    open(start = 0, end = size): Readable {
      // Stored: the range maps straight onto the shard.
      if (e.compressionMethod === ZIP_METHOD_STORED) return src.stream(dataStart + start, dataStart + end);
      // Deflated: inflate from the start of the entry, drop what precedes the range.
      const inflated = lazyBytes(
        () => pipeline(src.stream(dataStart, dataStart + e.compressedSize), createInflateRaw(), (err) => void err), // errors surface on the inflate side
      );
      return skipTake(inflated, start, end - start, `zip entry ${e.fileName}`);
    },
  };
}
