// `Content-Encoding: aws-chunked` bodies (AWS SigV4 streaming and the SDKs' unsigned trailers):
//   <hex-size>[;chunk-signature=<64 hex>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//   [<trailer-name>:<value>\r\n]... \r\n
// A pure, incremental decoder: bytes in (split anywhere), data and chunk events out.
import { ErrIncompleteBody } from '../errors.ts';
import { s3Err } from './errors.ts';

export const AWS_CHUNKED = 'aws-chunked';
/** `x-amz-content-sha256` values that announce an aws-chunked body. */
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const STREAMING_MODES = [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER] as const;
export type StreamingMode = (typeof STREAMING_MODES)[number];

export function isStreamingMode(s: string | undefined): s is StreamingMode {
  return s !== undefined && (STREAMING_MODES as readonly string[]).includes(s);
}

/** A chunk header line (size + extensions) longer than this is malformed (a signed one is ~85 bytes). */
export const CHUNK_HEADER_BYTES_MAX = 4096;
/** Trailer section limits: a few checksum + signature lines in practice. */
export const TRAILER_BYTES_MAX = 16 * 1024;
export const TRAILER_COUNT_MAX = 32;
/** Hex digits of a chunk size: 13 covers 2^52 bytes and stays exact in a JS number. */
const CHUNK_SIZE_HEX_DIGITS_MAX = 13;

export interface AwsChunkedEvents {
  /** Decoded payload bytes, in order (views into the input; copy to keep beyond the call). */
  onData(data: Uint8Array): void;
  /** A chunk's data is complete (also the final 0-size chunk); `signature` from `;chunk-signature=`. */
  onChunkEnd?(size: number, signature: string | undefined): void;
}

export interface AwsChunkedResult {
  /** Trailer name (lower-case) → value, in order received. */
  trailers: Map<string, string>;
  decodedBytes: number;
}

const CR = 0x0d;
const LF = 0x0a;

type State = 'header' | 'data' | 'data-crlf' | 'trailer' | 'done';

function malformed(why: string): Error {
  return s3Err.invalidRequest(`malformed aws-chunked body: ${why}`);
}

export class AwsChunkedDecoder {
  #state: State = 'header';
  /** Bytes of the current header/trailer line gathered so far (lines may span inputs). */
  #line: number[] = [];
  #remaining = 0;
  #chunkSize = 0;
  #chunkSig: string | undefined;
  /** CRLF after a chunk's data: how many of its two bytes we have seen. */
  #crlfSeen = 0;
  #trailerBytes = 0;
  #decodedBytes = 0;
  readonly #trailers = new Map<string, string>();

  constructor(readonly events: AwsChunkedEvents) {}

  get done(): boolean {
    return this.#state === 'done';
  }

  get decodedBytes(): number {
    return this.#decodedBytes;
  }

  /** Feeds the next input bytes; throws InvalidRequest on malformed framing. */
  push(input: Uint8Array): void {
    let i = 0;
    const n = input.length;
    while (i < n) {
      switch (this.#state) {
        case 'header':
        case 'trailer': {
          const lf = input.indexOf(LF, i);
          const end = lf < 0 ? n : lf;
          this.#appendLine(input, i, end);
          if (lf < 0) return;
          i = lf + 1;
          const line = this.#takeLine();
          if (this.#state === 'header') this.#header(line);
          else this.#trailer(line);
          break;
        }
        case 'data': {
          const take = Math.min(this.#remaining, n - i);
          if (take > 0) {
            this.events.onData(input.subarray(i, i + take));
            this.#remaining -= take;
            this.#decodedBytes += take;
            i += take;
          }
          if (this.#remaining === 0) {
            this.#state = 'data-crlf';
            this.#crlfSeen = 0;
          }
          break;
        }
        case 'data-crlf': {
          const want = this.#crlfSeen === 0 ? CR : LF;
          if (input[i] !== want) throw malformed('chunk data not followed by CRLF (chunk size does not match its data)');
          i++;
          if (++this.#crlfSeen === 2) {
            this.events.onChunkEnd?.(this.#chunkSize, this.#chunkSig);
            this.#state = 'header';
          }
          break;
        }
        case 'done':
          throw malformed('bytes after the final chunk');
      }
    }
  }

  /** Input ended: the body must be complete. */
  end(): AwsChunkedResult {
    // Some clients end right after the final chunk's line with no trailer section and no final CRLF.
    if (this.#state === 'trailer' && this.#line.length === 0 && this.#trailers.size === 0) this.#state = 'done';
    if (this.#state !== 'done') throw new ErrIncompleteBody('aws-chunked body ended before its final chunk');
    return { trailers: this.#trailers, decodedBytes: this.#decodedBytes };
  }

  #appendLine(input: Uint8Array, from: number, to: number): void {
    const limit = this.#state === 'header' ? CHUNK_HEADER_BYTES_MAX : TRAILER_BYTES_MAX - this.#trailerBytes;
    if (this.#line.length + (to - from) > limit) throw malformed(this.#state === 'header' ? 'chunk header line too long' : 'trailers too long');
    for (let k = from; k < to; k++) this.#line.push(input[k] as number);
  }

  /** The gathered line without its CR (the LF was consumed); a bare LF ending is malformed. */
  #takeLine(): string {
    const bytes = this.#line;
    this.#line = [];
    if (bytes.length === 0 || bytes[bytes.length - 1] !== CR) throw malformed('line not terminated by CRLF');
    bytes.pop();
    if (this.#state === 'trailer') this.#trailerBytes += bytes.length + 2;
    return Buffer.from(bytes).toString('latin1');
  }

  #header(line: string): void {
    const semi = line.indexOf(';');
    const hex = semi < 0 ? line : line.slice(0, semi);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length > CHUNK_SIZE_HEX_DIGITS_MAX) throw malformed(`bad chunk size "${hex.slice(0, 32)}"`);
    const size = Number.parseInt(hex, 16);
    let sig: string | undefined;
    if (semi >= 0) {
      for (const ext of line.slice(semi + 1).split(';')) {
        const eq = ext.indexOf('=');
        const name = (eq < 0 ? ext : ext.slice(0, eq)).trim();
        if (name === 'chunk-signature') {
          sig = ext.slice(eq + 1).trim();
          if (!/^[0-9a-f]{64}$/.test(sig)) throw malformed('bad chunk-signature');
        }
      }
    }
    this.#chunkSize = size;
    this.#chunkSig = sig;
    if (size === 0) {
      this.events.onChunkEnd?.(0, sig);
      this.#state = 'trailer';
      return;
    }
    this.#remaining = size;
    this.#state = 'data';
  }

  #trailer(line: string): void {
    if (line === '') {
      this.#state = 'done';
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`bad trailer line "${line.slice(0, 64)}"`);
    if (this.#trailers.size >= TRAILER_COUNT_MAX) throw malformed('too many trailers');
    this.#trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
}

/** Encodes a body as aws-chunked (tests, bench): unsigned, with optional trailers. */
export function encodeAwsChunked(chunks: Uint8Array[], trailers: Record<string, string> = {}): Buffer {
  const parts: Buffer[] = [];
  for (const c of chunks) {
    if (c.length === 0) continue;
    parts.push(Buffer.from(`${c.length.toString(16)}\r\n`), Buffer.from(c), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n'));
  for (const [k, v] of Object.entries(trailers)) parts.push(Buffer.from(`${k}:${v}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
