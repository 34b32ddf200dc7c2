// The `strm: false` answer: `multipart/mixed` laid out as Go's mime/multipart writes it (AIS
// buffwi.multipart): part `metadata` (the MossResp JSON, CreateFormField), then part `archive`
// (CreateFormFile).
import { Readable } from 'node:stream';
import type { MossResp } from '../../../protocol/moss.ts';
import { MOSS_DATA_PART, MOSS_META_PART } from '../../../protocol/moss.ts';

/** A boundary from 30 random bytes (Go: 60 hex characters). */
export function boundaryOf(random: Uint8Array): string {
  return Buffer.from(random).toString('hex');
}

export function multipartContentType(boundary: string): string {
  return `multipart/mixed; boundary=${boundary}`;
}

/** The whole body: metadata part, the archive's bytes, closing delimiter. `done` runs at the end either way. */
export function multipartBody(boundary: string, resp: MossResp, archiveName: string, archive: Readable, done: () => void): Readable {
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="${MOSS_META_PART}"\r\n\r\n${JSON.stringify(resp)}\n` +
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="${MOSS_DATA_PART}"; filename="${archiveName}"\r\n` +
    `Content-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    archive.destroy();
    done();
  };
  const body = Readable.from(
    (async function* () {
      try {
        yield Buffer.from(head);
        for await (const c of archive) yield c as Uint8Array;
        yield Buffer.from(tail);
      } finally {
        end();
      }
    })(),
    { objectMode: false },
  );
  // A body destroyed before it was read (client gone) never runs the generator's `finally`.
  body.once('close', end);
  return body;
}

/** Splits a multipart body into its parts (tests and clients; the body is in memory). */
export function parseMultipart(body: Buffer, boundary: string): { headers: Record<string, string>; data: Buffer }[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; data: Buffer }[] = [];
  let at = body.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next); // after CRLF
    const sep = part.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, sep).toString().split('\r\n')) {
      const c = line.indexOf(':');
      if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    parts.push({ headers, data: part.subarray(sep + 4) });
    at = next + 2;
  }
  return parts;
}
