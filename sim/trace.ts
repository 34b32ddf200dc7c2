// The run's trace: every event the scheduler runs (timer firing, message or HTTP delivery) is folded
// into a running hash of (time, node, kind, detail). Two runs of one seed must end on the same hash.
import { createHash, type Hash } from 'node:crypto';

export class Trace {
  #hash: Hash = createHash('sha256');
  /** Events recorded. */
  count = 0;
  /** Optional sink for the last events (debugging a divergence): set to an array to collect lines. */
  lines: string[] | undefined;

  record(atMs: number, node: string, kind: string, detail: number): void {
    const line = `${atMs.toFixed(3)} ${node} ${kind} ${detail}\n`;
    this.#hash.update(line);
    this.count++;
    this.lines?.push(line);
  }

  /** Hex digest of everything so far (the running hash continues). */
  digest(): string {
    return this.#hash.copy().digest('hex').slice(0, 16);
  }
}
