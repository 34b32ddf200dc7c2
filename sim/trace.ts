// The run's trace: every event the scheduler runs (timer firing, message or HTTP delivery) is folded
// into a running hash of (time, node, kind, detail). Two runs of one seed must end on the same hash.
import { createHash, type Hash } from 'node:crypto';

/** Lines are hashed in batches of about this many characters (one hash update per batch, not per event). */
const TRACE_BATCH_CHARS = 64 * 1024;

export class Trace {
  #hash: Hash = createHash('sha256');
  #pending = '';
  /** Events recorded. */
  count = 0;
  /** Optional sink for the last events (debugging a divergence): set to an array to collect lines. */
  lines: string[] | undefined;

  record(atMs: number, node: string, kind: string, detail: number): void {
    const line = `${atMs.toFixed(3)} ${node} ${kind} ${detail}\n`;
    this.#pending += line;
    if (this.#pending.length >= TRACE_BATCH_CHARS) this.#flush();
    this.count++;
    this.lines?.push(line);
  }

  #flush(): void {
    if (this.#pending === '') return;
    this.#hash.update(this.#pending);
    this.#pending = '';
  }

  /** Hex digest of everything so far (the running hash continues). */
  digest(): string {
    this.#flush();
    return this.#hash.copy().digest('hex').slice(0, 16);
  }
}
