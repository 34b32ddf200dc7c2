// Lets every wait inside a writer end at once when the writer is aborted (a stalled back-pressure
// wait would otherwise hang the caller forever). Not Promise.race against one long-lived promise:
// each race would leave a reaction on it that keeps the raced value alive until the writer dies.
export class AbortGate {
  private failure: Error | undefined;
  private readonly waiting = new Set<(err: Error) => void>();

  get error(): Error | undefined {
    return this.failure;
  }

  abort(err: Error): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const reject of this.waiting) reject(err);
    this.waiting.clear();
  }

  throwIfAborted(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** `p`, or the abort error if that comes first. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.failure !== undefined) {
      p.catch(() => undefined);
      return Promise.reject(this.failure);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      p.then(
        (v) => {
          this.waiting.delete(reject);
          resolve(v);
        },
        (err: unknown) => {
          this.waiting.delete(reject);
          reject(err);
        },
      );
    });
  }
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
