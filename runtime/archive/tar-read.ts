// Finding one file in a tar: hop from header to header (ustar, GNU long names, PAX paths and sizes),
// skipping entry bodies: on a plain .tar a skip is a seek, on a compressed one it is decoding.
import { ArchiveFormatError } from './format-error.ts';
import { namesEq } from './names.ts';

export const TAR_BLOCK_BYTES = 512;
/** A GNU long name or PAX header larger than this is not a real one. */
const TAR_META_BYTES_MAX = 1024 * 1024;

/** Sequential tar input; `skip` may seek. */
export interface TarInput {
  /** Bytes consumed so far (the offset of the next read). */
  readonly pos: number;
  /** Exactly n bytes, or undefined at a clean end of input (no byte left). */
  read(n: number): Promise<Uint8Array | undefined>;
  skip(n: number): Promise<void>;
}

export interface TarHit {
  /** Offset of the file's bytes in the (decompressed) tar. */
  offset: number;
  size: number;
}

const utf8 = new TextDecoder('utf-8');

function corrupt(msg: string): ArchiveFormatError {
  return new ArchiveFormatError(`corrupt tar: ${msg}`);
}

function cstr(b: Uint8Array, at: number, len: number): string {
  const field = b.subarray(at, at + len);
  const nul = field.indexOf(0);
  return utf8.decode(nul < 0 ? field : field.subarray(0, nul));
}

/** Octal (space/NUL padded) or GNU base-256 (high bit of the first byte). */
function num(b: Uint8Array, at: number, len: number, what: string): number {
  if (b[at]! & 0x80) {
    let v = b[at]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[at + i]!;
    if (!Number.isSafeInteger(v)) throw corrupt(`${what} too large`);
    return v;
  }
  const s = cstr(b, at, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw corrupt(`bad ${what} field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function padded(n: number): number {
  return Math.ceil(n / TAR_BLOCK_BYTES) * TAR_BLOCK_BYTES;
}

function checksumOk(b: Uint8Array): boolean {
  let unsigned = 0;
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) unsigned += i >= 148 && i < 156 ? 0x20 : b[i]!;
  const want = num(b, 148, 8, 'checksum');
  if (want === unsigned) return true;
  let signed = 0; // some old tars summed signed bytes
  for (let i = 0; i < TAR_BLOCK_BYTES; i++) signed += i >= 148 && i < 156 ? 0x20 : (b[i]! << 24) >> 24;
  return want === signed;
}

/** PAX extended header records: "<len> <key>=<value>\n". */
function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.byteLength) {
    const sp = data.indexOf(0x20, at);
    if (sp < 0) break;
    const len = Number(utf8.decode(data.subarray(at, sp)));
    if (!Number.isSafeInteger(len) || len <= sp - at || at + len > data.byteLength) throw corrupt('bad PAX record');
    const rec = utf8.decode(data.subarray(sp + 1, at + len - 1)); // minus the trailing \n
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    at += len;
  }
  return out;
}


/** The file named `archpath` (a regular file), or undefined when the tar does not hold it. */
export async function findInTar(input: TarInput, archpath: string): Promise<TarHit | undefined> {
  let hit: TarHit | undefined;
  await walkTar(input, (name, h) => (namesEq(name, archpath) ? ((hit = h), true) : false));
  return hit;
}

/**
 * Every regular file of a tar in order, until `visit` returns true (stop) or the archive ends; a
 * shard index (GetBatch coloc 2) is one full walk.
 */
export async function walkTar(input: TarInput, visit: (name: string, hit: TarHit) => boolean): Promise<void> {
  let longName: string | undefined;
  let pax = new Map<string, string>();
  for (;;) {
    const h = await input.read(TAR_BLOCK_BYTES);
    if (h === undefined) return; // no end-of-archive blocks: tolerated, like GNU tar
    if (h.every((x) => x === 0)) return; // end of archive
    if (!checksumOk(h)) throw corrupt(`header checksum mismatch at offset ${input.pos - TAR_BLOCK_BYTES}`);
    const type = String.fromCharCode(h[156]!);
    let size = num(h, 124, 12, 'size');
    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
      if (size > TAR_META_BYTES_MAX) throw corrupt(`metadata entry of ${size} bytes`);
      const data = await input.read(size);
      if (data === undefined && size > 0) throw corrupt('truncated metadata entry');
      await input.skip(padded(size) - size);
      if (type === 'L') longName = cstr(data ?? new Uint8Array(0), 0, size);
      if (type === 'x') pax = parsePax(data ?? new Uint8Array(0));
      continue; // 'K' (long link target) and 'g' (global PAX) do not name a file
    }
    const magic = cstr(h, 257, 6);
    let name = cstr(h, 0, 100);
    if (magic === 'ustar') {
      const prefix = cstr(h, 345, 155); // POSIX ustar only: GNU keeps times there
      if (prefix !== '') name = `${prefix}/${name}`;
    }
    name = pax.get('path') ?? longName ?? name;
    const paxSize = pax.get('size');
    if (paxSize !== undefined) {
      size = Number(paxSize);
      if (!Number.isSafeInteger(size) || size < 0) throw corrupt(`bad PAX size ${JSON.stringify(paxSize)}`);
    }
    longName = undefined;
    pax = new Map();
    const regular = type === '0' || type === '\0' || type === '7';
    // Links, directories, devices carry no body (a size there is ignored, as tar does).
    const body = '123456'.includes(type) ? 0 : size;
    if (regular && visit(name, { offset: input.pos, size })) return;
    await input.skip(padded(body));
  }
}
