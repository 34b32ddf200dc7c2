// S3 additional checksums (`x-amz-checksum-<alg>`): the value is the base64 of the big-endian digest,
// as AWS sends and answers it. Calculators are incremental so a body is checked as it streams.
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { createCRC32, createCRC64, type IHasher } from 'hash-wasm';
import { s3Err } from './errors.ts';

export const S3_CHECKSUM_ALGS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type S3ChecksumAlg = (typeof S3_CHECKSUM_ALGS)[number];

export const CHECKSUM_HEADER_PREFIX = 'x-amz-checksum-';
/** `x-amz-checksum-*` headers that are not a checksum value. */
const CHECKSUM_NON_VALUE_HEADERS: ReadonlySet<string> = new Set([
  'x-amz-checksum-algorithm',
  'x-amz-checksum-type',
  'x-amz-checksum-mode',
]);

/** Castagnoli (reversed), as runtime/cksum computes crc32c. */
const CRC32C_POLYNOMIAL = 0x82f63b78;
/** CRC-64/NVME (reversed polynomial; init and xorout all ones, as hash-wasm's crc64 does). */
const CRC64NVME_POLYNOMIAL_HEX = '9a6c9329ac4bc9b5';

/** Digest length in bytes per algorithm (a header value that decodes to another length is invalid). */
const DIGEST_BYTES: Record<S3ChecksumAlg, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

export function isS3ChecksumAlg(s: string): s is S3ChecksumAlg {
  return (S3_CHECKSUM_ALGS as readonly string[]).includes(s);
}

/** The header name that carries `alg`'s value. */
export function checksumHeader(alg: S3ChecksumAlg): string {
  return `${CHECKSUM_HEADER_PREFIX}${alg}`;
}

/**
 * The algorithm of a checksum header or trailer name (`x-amz-checksum-crc32` → crc32); undefined
 * for non-checksum names; an unknown algorithm is InvalidRequest (S3: "Value for
 * x-amz-checksum-algorithm header is invalid.").
 */
export function checksumAlgOfHeader(name: string): S3ChecksumAlg | undefined {
  const n = name.toLowerCase();
  if (!n.startsWith(CHECKSUM_HEADER_PREFIX) || CHECKSUM_NON_VALUE_HEADERS.has(n)) return undefined;
  const alg = n.slice(CHECKSUM_HEADER_PREFIX.length);
  if (!isS3ChecksumAlg(alg)) throw s3Err.invalidRequest(`Value for x-amz-checksum-algorithm header is invalid: unsupported checksum "${alg}"`);
  return alg;
}

/** Validates an algorithm name as clients send it (`CRC32`, `SHA256`, ...) in x-amz-checksum-algorithm. */
export function parseChecksumAlg(value: string): S3ChecksumAlg {
  const alg = value.trim().toLowerCase();
  if (!isS3ChecksumAlg(alg)) throw s3Err.invalidRequest('Value for x-amz-checksum-algorithm header is invalid.');
  return alg;
}

/** Checks a header/trailer value is base64 of a digest of the right length (S3: InvalidRequest). */
export function validateChecksumValue(alg: S3ChecksumAlg, value: string): void {
  const ok = /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0 && Buffer.from(value, 'base64').length === DIGEST_BYTES[alg];
  if (!ok) throw s3Err.invalidRequest(`Value for ${checksumHeader(alg)} header is invalid.`);
}

/** S3's answer when a checksum does not match: 400 BadDigest. */
export function checksumMismatch(alg: S3ChecksumAlg): Error {
  return s3Err.badDigest(`The ${alg.toUpperCase()} you specified did not match the calculated checksum.`);
}

export interface S3Checksummer {
  readonly alg: S3ChecksumAlg;
  update(chunk: Uint8Array): void;
  /** Base64 of the big-endian digest; call once. */
  digest(): string;
}

export async function createS3Checksummer(alg: S3ChecksumAlg): Promise<S3Checksummer> {
  switch (alg) {
    case 'crc32':
      return zlibCrc32Checksummer();
    case 'crc32c':
      return wasmChecksummer(alg, await createCRC32(CRC32C_POLYNOMIAL));
    case 'crc64nvme':
      return wasmChecksummer(alg, await createCRC64(CRC64NVME_POLYNOMIAL_HEX));
    case 'sha1':
    case 'sha256':
      return cryptoChecksummer(alg, createHash(alg));
  }
}

/**
 * crc32 (the AWS SDKs' default) through node:zlib: native, ~2x hash-wasm, and no wasm instance to
 * create per request (~0.25 ms, more than a 4 KiB PUT's whole hashing).
 */
function zlibCrc32Checksummer(): S3Checksummer {
  let value = 0;
  return {
    alg: 'crc32',
    update: (chunk) => {
      value = crc32(chunk, value);
    },
    digest: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(value >>> 0);
      return out.toString('base64');
    },
  };
}

function wasmChecksummer(alg: S3ChecksumAlg, h: IHasher): S3Checksummer {
  h.init();
  return {
    alg,
    update: (chunk) => {
      h.update(chunk);
    },
    // hash-wasm's binary digest of a CRC is big-endian, the byte order S3 encodes
    digest: () => Buffer.from(h.digest('binary')).toString('base64'),
  };
}

function cryptoChecksummer(alg: S3ChecksumAlg, h: Hash): S3Checksummer {
  return {
    alg,
    update: (chunk) => {
      h.update(chunk);
    },
    digest: () => h.digest('base64'),
  };
}

/** Checksum of a whole buffer (tests, small bodies). */
export async function s3ChecksumOf(alg: S3ChecksumAlg, data: Uint8Array | string): Promise<string> {
  const c = await createS3Checksummer(alg);
  c.update(typeof data === 'string' ? Buffer.from(data) : data);
  return c.digest();
}
