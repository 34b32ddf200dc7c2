// The simulator's logger: silent by default (a run logs millions of lines), keeps the last lines of
// the whole world in a ring for failure reports, and can echo to stderr (--verbose) stamped with
// virtual time.
import type { Logger } from '../../runtime/env/types.ts';

/** Lines kept for a failure report. */
export const SIM_LOG_RING_LINES_MAX = 500;

export class SimLogSink {
  readonly ring: string[] = [];
  /** Called for every line whose message is exactly `msg` (e.g. the primary removing a node). */
  readonly #watchers: { msg: string; fn: (node: string) => void }[] = [];
  constructor(readonly nowMs: () => number, public verbose = false, public level: 'debug' | 'info' | 'warn' | 'error' = 'info') {}

  write(level: 'debug' | 'info' | 'warn' | 'error', bindings: Record<string, string | number>, obj: object | string, msg?: string): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    if (this.#watchers.length > 0) {
      const m = typeof obj === 'string' ? obj : (msg ?? '');
      for (const w of this.#watchers) if (w.msg === m) w.fn(String(bindings['node'] ?? ''));
    }
    const fields = typeof obj === 'string' ? {} : obj;
    const text = typeof obj === 'string' ? obj : (msg ?? '');
    const line = `${this.nowMs().toFixed(3)}ms ${level} ${String(bindings['node'] ?? '')} ${String(bindings['actor'] ?? '')} ${text} ${safeJson(fields)}`;
    this.ring.push(line);
    if (this.ring.length > SIM_LOG_RING_LINES_MAX) this.ring.shift();
    if (this.verbose) process.stderr.write(line + '\n');
  }

  watch(msg: string, fn: (node: string) => void): void {
    this.#watchers.push({ msg, fn });
  }

  logger(bindings: Record<string, string | number>): Logger {
    const at = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object | string, msg?: string): void => this.write(level, bindings, obj, msg);
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => this.logger({ ...bindings, ...more }) };
  }
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

function safeJson(o: object): string {
  try {
    return JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return '{}';
  }
}
