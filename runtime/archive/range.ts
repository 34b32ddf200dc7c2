// Byte ranges of a decoded stream: skip the first `start` bytes, pass `length`, then stop the source.
import { Readable } from 'node:stream';
import { ArchiveFormatError } from './format-error.ts';

/** A byte (not object) Readable over an async iterable; destroying it stops the iterable. */
export function readableFrom(it: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(it, { objectMode: false });
}

/**
 * Bytes from a source made on the first pull: a reader dropped before it read anything never opens
 * the shard (an opened, unread stream would hold a file open).
 */
export async function* lazyBytes(make: () => AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* make();
}

/** zlib's data errors (Z_DATA_ERROR, Z_BUF_ERROR...) mean a corrupt shard; other errors pass as they are. */
export function asFormatError(err: unknown): unknown {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  if (err instanceof Error && typeof code === 'string' && code.startsWith('Z_')) {
    return new ArchiveFormatError(`corrupt compressed data: ${err.message}`);
  }
  return err;
}

async function* slice(src: AsyncIterable<Uint8Array>, start: number, length: number, what: string): AsyncGenerator<Uint8Array> {
  let skip = start;
  let left = length;
  if (left === 0) return;
  for await (const chunk of src) {
    let c = chunk;
    if (skip > 0) {
      if (c.byteLength <= skip) {
        skip -= c.byteLength;
        continue;
      }
      c = c.subarray(skip);
      skip = 0;
    }
    if (c.byteLength >= left) {
      yield c.subarray(0, left);
      return; // leaving the loop closes the source
    }
    left -= c.byteLength;
    yield c;
  }
  throw new ArchiveFormatError(`truncated ${what}: ${left} bytes missing`);
}

export function skipTake(src: AsyncIterable<Uint8Array>, start: number, length: number, what: string): Readable {
  return readableFrom(
    (async function* () {
      try {
        yield* slice(src, start, length, what);
      } catch (err) {
        throw asFormatError(err);
      }
    })(),
  );
}
