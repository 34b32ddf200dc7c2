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
  /** Lowercase hex; '' for `none`. Call once, then `reset()` before reuse. */
  digest(): string;
  /** Starts over, so a pool can reuse the cksummer (wasm hashers cost ~140 µs to create). */
  reset(): void;
}

/** Idle cksummers kept per type by a CksumPool. */
export const CKSUM_POOL_IDLE_MAX = 64;

const CKSUM_TYPE_SET: ReadonlySet<string> = new Set(CKSUM_TYPES);

export function isCksumType(s: string): s is CksumType {
  return CKSUM_TYPE_SET.has(s);
}

export async function createCksummer(type: CksumType): Promise<Cksummer> {
  switch (type) {
    case 'none':
      return { type, update() {}, digest: () => '', reset() {} };
    case 'xxhash':
    case 'xxhash2':
      // Both are XXH64 with seed 0 (AIS: xxhash via OneOfOne, xxhash2 via cespare/v2).
      return wasmCksummer(type, await createXXHash64(0, 0));
    case 'crc32c':
      return wasmCksummer(type, await createCRC32(CRC32C_POLYNOMIAL));
    case 'md5':
    case 'sha256':
    case 'sha512':
      return cryptoCksummer(type);
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
    reset: () => {
      hasher.init();
    },
  };
}

function cryptoCksummer(type: 'md5' | 'sha256' | 'sha512'): Cksummer {
  let hash: Hash = createHash(type);
  return {
    type,
    update: (chunk) => {
      hash.update(chunk);
    },
    digest: () => hash.digest('hex'),
    reset: () => {
      hash = createHash(type); // node:crypto hashes cannot restart; creating one is cheap
    },
  };
}

/** Reuses cksummers across PUTs/GETs; owned by one user (e.g. a target's Storage), no global state. */
export class CksumPool {
  readonly #idle = new Map<CksumType, Cksummer[]>();

  async acquire(type: CksumType): Promise<Cksummer> {
    const c = this.#idle.get(type)?.pop();
    if (c) return c;
    return createCksummer(type);
  }

  /** Gives a cksummer back (digested or abandoned half-way); it is reset here. */
  release(c: Cksummer): void {
    let list = this.#idle.get(c.type);
    if (!list) this.#idle.set(c.type, (list = []));
    if (list.length >= CKSUM_POOL_IDLE_MAX) return;
    c.reset();
    list.push(c);
  }
}

/** Checksum of a whole buffer (small payloads, manifests, tests). */
export async function cksumBuffer(type: CksumType, data: Uint8Array): Promise<string> {
  const c = await createCksummer(type);
  c.update(data);
  return c.digest();
}
