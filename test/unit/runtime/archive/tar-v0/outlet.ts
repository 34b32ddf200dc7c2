// FROZEN COPY of runtime/archive/outlet.ts before the P2 rewrite (kept only as the byte-for-byte reference of tar-identity.test.ts).
// A byte Readable fed by an async producer: `push` resolves only when the consumer wants more, so the
// producer (archive writer) never runs ahead of the reader by more than the stream's high-water mark.
import { Readable } from 'node:stream';

export class Outlet {
  readonly readable: Readable;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(highWaterMark: number) {
    this.readable = new Readable({
      highWaterMark,
      read: () => this.resume(),
      destroy: (err, cb) => {
        this.closed = true;
        this.resume();
        cb(err);
      },
    });
  }

  /** Resolves when the consumer can take more (or the stream is gone: check `isClosed`). */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.closed || chunk.byteLength === 0) return;
    if (this.readable.push(chunk)) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.readable.push(null);
  }

  destroy(err: Error): void {
    if (this.readable.destroyed) return;
    this.readable.destroy(err);
  }

  private resume(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
