// Sequential reads of exact sizes over a stream of chunks (decoded shard bytes): headers and LZ4
// blocks come in pieces that rarely line up with the chunks.
import { ArchiveFormatError } from './format-error.ts';

const EMPTY = new Uint8Array(0);

export class ByteReader {
  private chunk: Uint8Array = EMPTY;
  private at = 0;
  private done = false;
  /** Bytes consumed so far. */
  pos = 0;

  constructor(private readonly it: AsyncIterator<Uint8Array>, private readonly what: string) {}

  static of(src: AsyncIterable<Uint8Array>, what: string): ByteReader {
    return new ByteReader(src[Symbol.asyncIterator](), what);
  }

  /** Whether the input ended, with nothing left. */
  async atEof(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Exactly `n` bytes; a view when they sit in one chunk, else a copy. Throws on a short input. */
  async readExact(n: number): Promise<Uint8Array> {
    if (!(await this.fill()) && n > 0) throw new ArchiveFormatError(`truncated ${this.what}`);
    if (this.chunk.byteLength - this.at >= n) {
      const v = this.chunk.subarray(this.at, this.at + n);
      this.at += n;
      this.pos += n;
      return v;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) throw new ArchiveFormatError(`truncated ${this.what}`);
      const k = Math.min(n - got, this.chunk.byteLength - this.at);
      out.set(this.chunk.subarray(this.at, this.at + k), got);
      this.at += k;
      got += k;
    }
    this.pos += n;
    return out;
  }

  /** Up to `n` bytes, as the views the input gives (no copy); throws if the input ends first. */
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new ArchiveFormatError(`truncated ${this.what}`);
      const k = Math.min(left, this.chunk.byteLength - this.at);
      const v = this.chunk.subarray(this.at, this.at + k);
      this.at += k;
      this.pos += k;
      left -= k;
      yield v;
    }
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw new ArchiveFormatError(`truncated ${this.what}`);
      const k = Math.min(left, this.chunk.byteLength - this.at);
      this.at += k;
      this.pos += k;
      left -= k;
    }
  }

  /** Stops the input (closes the underlying stream when we leave early). */
  async close(): Promise<void> {
    this.done = true;
    await this.it.return?.();
  }

  private async fill(): Promise<boolean> {
    while (this.at >= this.chunk.byteLength) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done === true) {
        this.done = true;
        this.chunk = EMPTY;
        this.at = 0;
        return false;
      }
      this.chunk = r.value;
      this.at = 0;
    }
    return true;
  }
}
