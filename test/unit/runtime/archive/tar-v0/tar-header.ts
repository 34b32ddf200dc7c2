// FROZEN COPY of runtime/archive/tar-header.ts before the P2 rewrite (kept only as the byte-for-byte reference of tar-identity.test.ts).
// POSIX ustar headers (and a pax `path` record for names ustar cannot hold), built directly: the
// writer lays out header + data + padding of a small entry as one buffer (one output write per entry
// instead of tar-stream's three chunks and its stream machinery).
import { Buffer } from 'node:buffer';

export const TAR_BLOCK = 512;
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
