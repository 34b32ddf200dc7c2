// Object checksums (AIS cos.Cksum types): incremental, so a PUT hashes chunk by chunk and never
// buffers a whole body. Digests are lowercase hex as AIS prints them.
import { createHash, type Hash } from 'node:crypto';
import { createCRC32, createXXHash64, type IHasher } from 'hash-wasm';
import { CKSUM_TYPES, type CksumType } from '../../protocol/apc.ts';

/** Castagnoli polynomial (reversed form): crc32c as AIS computes it. */
export const CRC32C_POLYNOMIAL = 0x82f63b78;

export interface Cksummer {
  readonly type: CksumType;
  update(chunk: Uint8Array): void;
  /** Lowercase hex; '' for `none`. Call once. */
  digest(): string;
}

const CKSUM_TYPE_SET: ReadonlySet<string> = new Set(CKSUM_TYPES);

export function isCksumType(s: string): s is CksumType {
  return CKSUM_TYPE_SET.has(s);
}

export async function createCksummer(type: CksumType): Promise<Cksummer> {
  switch (type) {
    case 'none':
      return { type, update() {}, digest: () => '' };
    case 'xxhash':
    case 'xxhash2':
      // Both are XXH64 with seed 0 (AIS: xxhash via OneOfOne, xxhash2 via cespare/v2).
      return wasmCksummer(type, await createXXHash64(0, 0));
    case 'crc32c':
      return wasmCksummer(type, await createCRC32(CRC32C_POLYNOMIAL));
    case 'md5':
    case 'sha256':
    case 'sha512':
      return cryptoCksummer(type, createHash(type));
  }
}

function wasmCksummer(type: CksumType, hasher: IHasher): Cksummer {
  hasher.init();
  return {
    type,
    update: (chunk) => {
      hasher.update(chunk);
    },
    digest: () => hasher.digest('hex'),
  };
}

function cryptoCksummer(type: CksumType, hash: Hash): Cksummer {
  return {
    type,
    update: (chunk) => {
      hash.update(chunk);
    },
    digest: () => hash.digest('hex'),
  };
}

/** Checksum of a whole buffer (small payloads, manifests, tests). */
export async function cksumBuffer(type: CksumType, data: Uint8Array): Promise<string> {
  const c = await createCksummer(type);
  c.update(data);
  return c.digest();
}
