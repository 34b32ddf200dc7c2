// Per-object-name mutual exclusion for the steps that read-modify-write one object's file and index
// entry (PUT commit, delete, custom-md, atime flush). In memory: one target owns its objects. The
// number of waiters is bounded by the requests in flight, which the frontend bounds.
export class NameLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = prev ? prev.then(() => mine) : mine;
    this.#tails.set(key, tail);
    if (prev) await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Names currently locked or waited for (tests, inspection). */
  size(): number {
    return this.#tails.size;
  }
}
