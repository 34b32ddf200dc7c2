// A streaming reader of the `multipart/mixed` answer of a non-streaming GetBatch (RFC 2046 §5.1):
// part `metadata` (MossResp JSON) first, then part `archive`, copied to a sink as it arrives, never
// held whole (the archive can be many GiB). As AIS `api.readMultipart`: exactly these two parts.
import type { Readable, Writable } from 'node:stream';
import { MOSS_DATA_PART, MOSS_META_PART } from '../protocol/moss.ts';

/** Headers of one part are a few lines; more means this is not the stream we think it is. */
export const PART_HEADERS_BYTES_MAX = 16 * 1024;
/** MossResp of 100k items is ~20 MiB of JSON; anything bigger is refused rather than buffered. */
export const META_PART_BYTES_MAX = 64 * 1024 * 1024;
/** Bytes before the first boundary (RFC 2046 preamble), normally none. */
const PREAMBLE_BYTES_MAX = 16 * 1024;

/** A malformed answer from the cluster (exit code 1, not a usage error). */
export class ErrMultipart extends Error {
  override name = 'ErrMultipart';
}

/** `multipart/mixed; boundary="x"` → `x`. */
export function multipartBoundary(contentType: string): string {
  const [type, ...params] = contentType.split(';').map((s) => s.trim());
  if (!type || !type.toLowerCase().startsWith('multipart/')) throw new ErrMultipart(`expected a multipart answer, got Content-Type "${contentType}"`);
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    if (v === '' || v.length > 70) break; // RFC 2046: 1..70 characters
    return v;
  }
  throw new ErrMultipart(`multipart answer without a valid boundary: "${contentType}"`);
}

/** `form-data; name="archive"; filename="x"` → `archive` (also without quotes). */
export function partName(disposition: string | undefined): string {
  if (disposition === undefined) return '';
  const m = /(?:^|;)\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(disposition);
  return m ? (m[1] ?? m[2] ?? '') : '';
}

function parseHeaders(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of raw.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

async function writeTo(sink: Writable, chunk: Buffer): Promise<void> {
  if (chunk.length === 0) return;
  if (sink.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => {
      sink.off('error', onError);
      resolve();
    };
    const onError = (err: Error): void => {
      sink.off('drain', onDrain);
      reject(err);
    };
    sink.once('drain', onDrain);
    sink.once('error', onError);
  });
}

export interface MultipartResult<M> {
  meta: M;
  /** Bytes of the archive part written to the sink. */
  archiveBytes: number;
}

/**
 * Reads the two parts: parses `metadata` as JSON, writes `archive` to `sink` with back-pressure
 * (the sink is not ended). A missing part, an unknown part, or a body that ends before the closing
 * boundary is an error: a truncated archive must never look like a complete one.
 */
export async function readMossMultipart<M = unknown>(body: Readable, contentType: string, sink: Writable): Promise<MultipartResult<M>> {
  const boundary = multipartBoundary(contentType);
  // Treat the body as if it began with CRLF, so every delimiter, the first included, is CRLF--boundary.
  const delim = Buffer.from(`\r\n--${boundary}`);
  let buf: Buffer = Buffer.from('\r\n');
  // Widened on purpose: `step` changes it, which TypeScript's narrowing does not see.
  let state = 'preamble' as 'preamble' | 'after-delim' | 'headers' | 'content' | 'done';
  let part = '';
  const parts: string[] = [];
  const meta: Buffer[] = [];
  let metaBytes = 0;
  let archiveBytes = 0;

  const emit = async (chunk: Buffer): Promise<void> => {
    if (part === MOSS_META_PART) {
      metaBytes += chunk.length;
      if (metaBytes > META_PART_BYTES_MAX) throw new ErrMultipart(`metadata part larger than ${META_PART_BYTES_MAX} bytes`);
      meta.push(chunk);
    } else {
      archiveBytes += chunk.length;
      await writeTo(sink, chunk);
    }
  };

  const step = async (final: boolean): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const i = buf.indexOf(delim);
        if (i < 0) {
          if (buf.length > PREAMBLE_BYTES_MAX) throw new ErrMultipart('no multipart boundary at the start of the answer');
          return false;
        }
        buf = buf.subarray(i + delim.length);
        state = 'after-delim';
        return true;
      }
      case 'after-delim': {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done';
          return false;
        }
        const eol = buf.indexOf('\r\n');
        if (eol < 0) {
          if (buf.length > 256) throw new ErrMultipart('malformed multipart boundary line');
          return false;
        }
        // Transport padding (spaces/tabs) may follow a boundary.
        if (buf.subarray(0, eol).toString('latin1').trim() !== '') throw new ErrMultipart('malformed multipart boundary line');
        buf = buf.subarray(eol + 2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        // A part with no headers starts right away with the empty line.
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          part = '';
          buf = buf.subarray(2);
        } else {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (buf.length > PART_HEADERS_BYTES_MAX) throw new ErrMultipart(`part headers longer than ${PART_HEADERS_BYTES_MAX} bytes`);
            return false;
          }
          part = partName(parseHeaders(buf.subarray(0, end).toString('latin1'))['content-disposition']);
          buf = buf.subarray(end + 4);
        }
        const expected = parts.length === 0 ? MOSS_META_PART : parts.length === 1 ? MOSS_DATA_PART : undefined;
        if (expected === undefined) throw new ErrMultipart(`unexpected third part "${part}" in the multipart answer`);
        if (part !== expected) throw new ErrMultipart(`expected part "${expected}", got "${part}"`);
        parts.push(part);
        state = 'content';
        return true;
      }
      case 'content': {
        const i = buf.indexOf(delim);
        if (i >= 0) {
          await emit(buf.subarray(0, i));
          buf = buf.subarray(i + delim.length);
          state = 'after-delim';
          return true;
        }
        // Keep a tail that may be the start of a delimiter split across chunks.
        const keep = final ? 0 : delim.length - 1;
        if (buf.length > keep) {
          await emit(buf.subarray(0, buf.length - keep));
          buf = buf.subarray(buf.length - keep);
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of body as AsyncIterable<Buffer>) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (await step(false));
    if (state === 'done') break;
  }
  if (state !== 'done') {
    const what = parts.length < 2 ? `missing part "${parts.length === 0 ? MOSS_META_PART : MOSS_DATA_PART}"` : 'no closing boundary';
    throw new ErrMultipart(`truncated multipart answer: ${what}`);
  }
  let parsed: M;
  try {
    parsed = JSON.parse(Buffer.concat(meta).toString('utf8')) as M;
  } catch (err) {
    throw new ErrMultipart(`metadata part is not JSON: ${(err as Error).message}`);
  }
  return { meta: parsed, archiveBytes };
}
