// Client-side checksums for `put --compute-checksum`: the target verifies them (Ais-Checksum-*).
// Same algorithms as AIS (§3): xxhash/xxhash2 are XXH64 seed 0, crc32c is Castagnoli; lowercase hex.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createCRC32, createXXHash64 } from 'hash-wasm';
import { ErrInvalidArgument } from '../protocol/errors.ts';

const CRC32C_POLYNOMIAL = 0x82f63b78;

interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): string;
}

async function createHasher(type: string): Promise<Hasher> {
  switch (type) {
    case 'xxhash':
    case 'xxhash2': {
      const h = await createXXHash64(0, 0);
      h.init();
      return { update: (c) => void h.update(c), digest: () => h.digest('hex') };
    }
    case 'crc32c': {
      const h = await createCRC32(CRC32C_POLYNOMIAL);
      h.init();
      return { update: (c) => void h.update(c), digest: () => h.digest('hex') };
    }
    case 'md5':
    case 'sha256':
    case 'sha512': {
      const h = createHash(type);
      return { update: (c) => void h.update(c), digest: () => h.digest('hex') };
    }
    default:
      throw new ErrInvalidArgument(`cannot compute checksum of type "${type}" (supported: xxhash2, xxhash, crc32c, md5, sha256, sha512)`);
  }
}

/** Streams the file once through the hasher; never reads it whole. */
export async function cksumFile(path: string, type: string): Promise<string> {
  const h = await createHasher(type);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest();
}
