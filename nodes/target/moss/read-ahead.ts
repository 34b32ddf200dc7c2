// Reads a few items ahead of the one being written, in order: the next objects' disk reads (or their
// wait for a sender) overlap the archive writing the current one. Bounded: at most `ahead` items are
// started and not yet taken (each at most one small buffer; big items are lazy streams).
export class ReadAhead<T> {
  readonly #fn: (i: number) => Promise<T>;
  readonly #n: number;
  readonly #ahead: number;
  readonly #started = new Map<number, Promise<T>>();
  #next = 0;

  constructor(n: number, ahead: number, fn: (i: number) => Promise<T>) {
    this.#n = n;
    this.#ahead = ahead;
    this.#fn = fn;
  }

  /** Item `i` (taken in ascending order); starts the ones after it up to the window. */
  take(i: number): Promise<T> {
    while (this.#next < this.#n && this.#next < i + this.#ahead) {
      const p = this.#fn(this.#next);
      p.catch(() => undefined); // surfaces when taken, in order
      this.#started.set(this.#next++, p);
    }
    const p = this.#started.get(i) ?? this.#fn(i);
    this.#started.delete(i);
    return p;
  }

  /** Abandons what was started and not taken (after a failure): `drop` releases each one that resolved. */
  discard(drop: (v: T) => void): void {
    for (const p of this.#started.values()) p.then(drop, () => undefined);
    this.#started.clear();
    this.#next = this.#n;
  }
}
