// Durations as `ais` flags take them (Go time.ParseDuration subset): `500ms`, `10s`, `2m`, `1h30m`.
import { ErrInvalidArgument } from '../protocol/errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** `10s` → 10000; a bare number is seconds; `0` is 0 (no limit where the caller says so). */
export function parseDuration(value: string, what: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * UNIT_MS['s']!);
  let ms = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < v.length) {
    const m = PART.exec(v);
    if (m === null) break;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
  }
  if (v === '' || matched !== v.length) throw new ErrInvalidArgument(`invalid ${what} "${value}": expected a duration such as 500ms, 10s, 2m or 1h30m`);
  if (!Number.isSafeInteger(Math.round(ms))) throw new ErrInvalidArgument(`invalid ${what} "${value}": too large`);
  return Math.round(ms);
}

/** 10000 → `10s`, 90000 → `1m30s`, 250 → `250ms`: short, as Go prints round durations. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total < UNIT_MS['s']!) return `${total}ms`;
  let s = Math.round(total / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}
