// POSIX ustar headers (and a pax `path` record for names ustar cannot hold), built directly. The hot
// path (`writeFileHeader`) writes a regular file's header in place into the writer's output buffer:
// a precomputed template, name and digits by arithmetic, the checksum summed as the bytes go in.
import { Buffer } from 'node:buffer';

export const TAR_BLOCK = 512;
/** Every entry is a regular file rw-r--r-- (as AIS writes them). */
export const TAR_FILE_MODE = 0o644;
const NAME_MAX = 100;
const PREFIX_MAX = 155;
/** Largest size in 11 octal digits; beyond it the GNU base-256 form. */
const OCTAL_SIZE_MAX = 0o77777777777;

/** `n` octal digits and a space (the classic ustar numeric field). */
function octal(buf: Buffer, off: number, width: number, v: number): void {
  const s = Math.max(0, Math.floor(v)).toString(8);
  buf.write(s.length > width ? '7'.repeat(width) : s.padStart(width, '0'), off, 'latin1');
  buf[off + width] = 0x20;
}

function sizeField(buf: Buffer, off: number, size: number): void {
  if (size <= OCTAL_SIZE_MAX) return octal(buf, off, 11, size);
  buf[off] = 0x80;
  let n = size;
  for (let i = 11; i > 0; i--) {
    buf[off + i] = n % 256;
    n = Math.floor(n / 256);
  }
}

function block(name: string, prefix: string, size: number, mode: number, mtimeMs: number, type: string): Buffer {
  const b = Buffer.alloc(TAR_BLOCK);
  b.write(name, 0, NAME_MAX, 'latin1');
  octal(b, 100, 6, mode);
  octal(b, 108, 6, 0);
  octal(b, 116, 6, 0);
  sizeField(b, 124, size);
  octal(b, 136, 11, mtimeMs / 1000);
  b.write(type, 156, 1, 'latin1');
  b.write('ustar\u000000', 257, 8, 'latin1');
  octal(b, 329, 6, 0);
  octal(b, 337, 6, 0);
  if (prefix) b.write(prefix, 345, PREFIX_MAX, 'latin1');
  let sum = 8 * 0x20; // the checksum field counts as spaces
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += b[i]!;
  octal(b, 148, 6, sum);
  return b;
}

/** ustar name/prefix split, or undefined when the name needs a pax record. */
function split(name: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(name) !== name.length) return undefined; // non-ASCII: pax keeps it exact
  if (name.length <= NAME_MAX) return { name, prefix: '' };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    if (i > PREFIX_MAX) break;
    if (name.length - i - 1 <= NAME_MAX && name.length - i - 1 > 0) return { name: name.slice(i + 1), prefix: name.slice(0, i) };
  }
  return undefined;
}

/** A pax record `"<len> path=<name>\n"`, its length counting itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let len = n + String(n).length;
  if (String(len).length !== String(n).length) len = n + String(len).length;
  return Buffer.from(`${len}${body}`, 'utf8');
}

export function padding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/** The header block(s) of a regular file entry. */
export function fileHeader(name: string, size: number, mode: number, mtimeMs: number): Buffer {
  const s = split(name);
  if (s) return block(s.name, s.prefix, size, mode, mtimeMs, '0');
  const pax = paxRecord('path', name);
  const short = name.replace(/[^\x20-\x7e]/g, '_').slice(-NAME_MAX);
  const paxHead = block(`PaxHeader/${short}`.slice(0, NAME_MAX), '', pax.byteLength, mode, mtimeMs, 'x');
  return Buffer.concat([paxHead, pax, Buffer.alloc(padding(pax.byteLength)), block(short, '', size, mode, mtimeMs, '0')]);
}

// The header of a regular 0644 file with an empty name, size 0 and mtime 0: everything but name,
// prefix, size, mtime digits and checksum is the same for every entry.
const TEMPLATE = block('', '', 0, TAR_FILE_MODE, 0, '0');
const TEMPLATE_SUM = ((): number => {
  let sum = 8 * 0x20; // the checksum field counts as spaces
  for (let i = 0; i < TAR_BLOCK; i++) if (i < 148 || i >= 156) sum += TEMPLATE[i]!;
  return sum;
})();
const DIGIT_0 = 0x30;
const OCTAL_11_MAX = 0o77777777777;

/** 11 octal digits of `v` (an integer ≤ OCTAL_11_MAX) over the template's '0's; returns their sum over '0'. */
function digits11(buf: Uint8Array, off: number, v: number): number {
  let sum = 0;
  for (let i = off + 10; v > 0; i--) {
    const d = v % 8;
    buf[i] = DIGIT_0 + d;
    sum += d;
    v = (v - d) / 8;
  }
  return sum;
}

/** ASCII `s[from, to)` at `off`; returns the byte sum, or -1 at the first non-ASCII char. */
function ascii(buf: Uint8Array, off: number, s: string, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[off + i - from] = c;
    sum += c;
  }
  return sum;
}

/**
 * The ustar header of a regular 0644 file, written at `buf[off, off + TAR_BLOCK)` — byte for byte
 * what `fileHeader` builds. False (the bytes there are then garbage) when the entry needs the general
 * path: a non-ASCII name or one ustar cannot split, a size past 11 octal digits, a non-finite mtime.
 */
export function writeFileHeader(buf: Buffer, off: number, name: string, size: number, mtimeMs: number): boolean {
  if (size > OCTAL_SIZE_MAX || !Number.isFinite(mtimeMs)) return false;
  TEMPLATE.copy(buf, off);
  let sum = TEMPLATE_SUM;
  const len = name.length;
  if (len <= NAME_MAX) {
    const s = ascii(buf, off, name, 0, len);
    if (s < 0) return false;
    sum += s;
  } else {
    // The same split as `split`: the first '/' leaving a name of 1..100 chars after it.
    let cut = -1;
    for (let i = name.indexOf('/'); i >= 0 && i <= PREFIX_MAX; i = name.indexOf('/', i + 1)) {
      if (len - i - 1 <= NAME_MAX && len - i - 1 > 0) {
        cut = i;
        break;
      }
    }
    if (cut < 0) return false;
    const p = ascii(buf, off + 345, name, 0, cut);
    if (p < 0) return false;
    const n = ascii(buf, off, name, cut + 1, len);
    if (n < 0) return false;
    sum += p + n;
  }
  sum += digits11(buf, off + 124, size);
  const mtime = Math.max(0, Math.floor(mtimeMs / 1000));
  if (mtime > OCTAL_11_MAX) {
    buf.fill(DIGIT_0 + 7, off + 136, off + 147); // as `octal`: all sevens when it does not fit
    sum += 11 * 7;
  } else sum += digits11(buf, off + 136, mtime);
  // Checksum: 6 octal digits, a space, a NUL (sum ≤ 512 × 255 < 8^6).
  for (let i = off + 153; i >= off + 148; i--) {
    buf[i] = DIGIT_0 + (sum % 8);
    sum = Math.floor(sum / 8);
  }
  buf[off + 154] = 0x20;
  buf[off + 155] = 0;
  return true;
}
