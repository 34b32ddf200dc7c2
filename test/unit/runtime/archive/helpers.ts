// Helpers of the archive unit tests: temp dirs, system tools, shards as RandomAccess, stream draining.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { RandomAccess } from '../../../../runtime/archive/index.ts';

const execFileP = promisify(execFile);
const TOOL_OUTPUT_BYTES_MAX = 256 * 1024 * 1024;

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-archive-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a tool; stdout as a Buffer. */
export async function tool(cmd: string, args: string[], cwd?: string): Promise<Buffer> {
  const { stdout } = await execFileP(cmd, args, { cwd, encoding: 'buffer', maxBuffer: TOOL_OUTPUT_BYTES_MAX });
  return stdout;
}

/** Runs a shell pipeline (for `tar | lz4`). */
export async function sh(script: string, cwd: string): Promise<void> {
  await execFileP('sh', ['-c', script], { cwd });
}

/** A shard file as RandomAccess (reads counted, to prove a plain tar is not read whole). */
export function fileSource(path: string): RandomAccess & { bytesRead: () => number; calls: () => number; openStreams: () => number } {
  const size = statSync(path).size;
  const fd = readFileSync(path); // small test shards: read() from memory, stream() from the file
  let read = 0;
  let calls = 0;
  let open = 0;
  return {
    size,
    bytesRead: () => read,
    calls: () => calls,
    openStreams: () => open,
    async read(start, length) {
      calls++;
      if (start + length > size) throw new RangeError(`read [${start}, ${start + length}) past the end ${size}`); // as an object read: 416
      const b = fd.subarray(start, start + length);
      read += b.byteLength;
      return b;
    },
    stream(start = 0, end = size) {
      if (end > size) throw new RangeError(`stream [${start}, ${end}) past the end ${size}`);
      if (end <= start) return Readable.from([], { objectMode: false });
      calls++;
      read += end - start;
      const s = createReadStream(path, { start, end: end - 1 });
      open++;
      s.once('close', () => open--);
      return s;
    },
  };
}

/** A large shard file as RandomAccess without holding it in memory. */
export function bigFileSource(path: string): RandomAccess {
  const size = statSync(path).size;
  return {
    size,
    async read(start, length) {
      const chunks: Buffer[] = [];
      if (length === 0 || start >= size) return new Uint8Array(0);
      for await (const c of createReadStream(path, { start, end: Math.min(size, start + length) - 1 })) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    stream(start = 0, end = size) {
      if (end <= start) return Readable.from([], { objectMode: false });
      return createReadStream(path, { start, end: end - 1 });
    },
  };
}

export function bufferSource(buf: Uint8Array): RandomAccess {
  return {
    size: buf.byteLength,
    async read(start, length) {
      if (start + length > buf.byteLength) throw new RangeError(`read [${start}, ${start + length}) past the end ${buf.byteLength}`);
      return buf.subarray(start, start + length);
    },
    stream(start = 0, end = buf.byteLength) {
      if (end > buf.byteLength) throw new RangeError(`stream [${start}, ${end}) past the end ${buf.byteLength}`);
      return Readable.from(end > start ? [buf.subarray(start, end)] : [], { objectMode: false });
    },
  };
}

export async function collect(r: Readable | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r as AsyncIterable<Uint8Array>) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

export async function writeOut(r: Readable, path: string): Promise<void> {
  writeFileSync(path, await collect(r));
}

export function md5(b: Uint8Array): string {
  return createHash('md5').update(b).digest('hex');
}

/** Compressible, not trivially: words from a small vocabulary, deterministic. */
export function textBytes(n: number, seed = 1): Buffer {
  const words = ['shoal', 'target', 'mountpath', 'xaction', 'smap', 'bucket', 'object', 'shard', 'batch', '\n'];
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(n);
  let at = 0;
  while (at < n) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const w = words[x % words.length]! + ' ';
    at += out.write(w, at);
  }
  return out;
}

/** Pseudo-random (incompressible) bytes, deterministic. */
export function noiseBytes(n: number, seed = 7): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** A Readable over `data` in uneven chunks (entry bodies arrive in pieces in real life). */
export function chunked(data: Uint8Array, sizes: number[] = [1, 511, 513, 4096, 65_537]): Readable {
  const parts: Uint8Array[] = [];
  let at = 0;
  let i = 0;
  while (at < data.byteLength) {
    const n = Math.min(sizes[i++ % sizes.length]!, data.byteLength - at);
    parts.push(data.subarray(at, at + n));
    at += n;
  }
  return Readable.from(parts, { objectMode: false });
}
