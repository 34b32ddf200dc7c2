// A one-line progress bar for long jobs (`bucket cp`): objects, bytes, rate, ETA. Redrawn in place with
// `\r` on a terminal; elsewhere (pipes, CI logs) a plain line now and then.
import { formatDuration } from './duration.ts';
import { formatSize } from './format.ts';

/** Refresh period of the bar (~4×/s). */
export const PROGRESS_REFRESH_MS = 250;
/** Without a terminal, one plain line per this period. */
export const PROGRESS_PLAIN_PERIOD_MS = 2_000;
export const PROGRESS_BAR_WIDTH = 24;

export interface Progress {
  objs: number;
  bytes: number;
  /** 0 when unknown. */
  totalObjs: number;
  totalBytes: number;
  elapsedMs: number;
}

/** Fraction done in [0, 1], by bytes when known, else by objects; undefined when no total is known. */
export function progressFraction(p: Progress): number | undefined {
  if (p.totalBytes > 0) return Math.min(1, p.bytes / p.totalBytes);
  if (p.totalObjs > 0) return Math.min(1, p.objs / p.totalObjs);
  return undefined;
}

/** Bytes per second so far (0 before any time has passed). */
export function progressRate(p: Progress): number {
  return p.elapsedMs <= 0 ? 0 : (p.bytes * 1000) / p.elapsedMs;
}

/** Remaining time at the average rate so far; undefined when it cannot be estimated. */
export function progressEtaMs(p: Progress): number | undefined {
  const f = progressFraction(p);
  if (f === undefined || f <= 0 || p.elapsedMs <= 0) return undefined;
  if (f >= 1) return 0;
  return (p.elapsedMs * (1 - f)) / f;
}

export function progressBar(fraction: number | undefined, width = PROGRESS_BAR_WIDTH): string {
  if (fraction === undefined) return `[${'?'.repeat(width)}]`;
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** `[#####.....]  42%  420/1000 objects  4.20MiB/10.00MiB  1.05MiB/s  ETA 5s`. */
export function formatProgress(p: Progress): string {
  const f = progressFraction(p);
  const pct = f === undefined ? '  ?%' : `${String(Math.floor(f * 100)).padStart(3)}%`;
  const objs = p.totalObjs > 0 ? `${p.objs}/${p.totalObjs} objects` : `${p.objs} objects`;
  const bytes = p.totalBytes > 0 ? `${formatSize(Math.round(p.bytes))}/${formatSize(Math.round(p.totalBytes))}` : formatSize(Math.round(p.bytes));
  const eta = progressEtaMs(p);
  const etaStr = eta === undefined ? 'ETA -' : `ETA ${formatDuration(eta)}`;
  return `${progressBar(f)} ${pct}  ${objs}  ${bytes}  ${formatSize(Math.round(progressRate(p)))}/s  ${etaStr}`;
}

/** `copied 1000 objects (10.00MiB) in 3s, 3.33MiB/s`. */
export function formatProgressDone(verb: string, p: Progress): string {
  return `${verb} ${p.objs} objects (${formatSize(Math.round(p.bytes))}) in ${formatDuration(p.elapsedMs)}, ${formatSize(Math.round(progressRate(p)))}/s`;
}

/** Draws lines to a sink; `tty` redraws one line, otherwise throttles to PROGRESS_PLAIN_PERIOD_MS. */
export class ProgressLine {
  #lastPlainMs = -Infinity;
  #width = 0;

  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
  ) {}

  update(line: string, nowMs: number): void {
    if (this.tty) {
      this.write(`\r${line.padEnd(this.#width)}`);
      this.#width = line.length;
      return;
    }
    if (nowMs - this.#lastPlainMs < PROGRESS_PLAIN_PERIOD_MS) return;
    this.#lastPlainMs = nowMs;
    this.write(`${line}\n`);
  }

  /** The last line, always written, ending the redrawn one. */
  done(line: string): void {
    if (this.tty) this.write(`\r${line.padEnd(this.#width)}\n`);
    else this.write(`${line}\n`);
    this.#width = 0;
  }
}
