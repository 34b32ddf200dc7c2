// Bash-style name templates, as AIS cos.ParseBashTemplate: `shard-{000..999}.tar`, a step
// `{0..10..2}`, several ranges `a{0..3}b{00..15}` (the last range varies fastest). Numbers keep the
// zero padding of the range start, as AIS. Names are generated lazily: a template can be huge.
import { ErrInvalidArgument } from './errors.ts';

export interface TemplateRange {
  start: number;
  end: number;
  step: number;
  digits: number;
  /** Literal text after this range, up to the next one. */
  gap: string;
}

export interface Template {
  prefix: string;
  ranges: TemplateRange[];
}

const RANGE_RE = /\{(\d+)\.\.(\d+)(?:\.\.(\d+))?\}/g;

export function parseBashTemplate(s: string): Template {
  const ranges: TemplateRange[] = [];
  let prefix = '';
  let last = 0;
  for (const m of s.matchAll(RANGE_RE)) {
    const literal = s.slice(last, m.index);
    if (ranges.length === 0) prefix = literal;
    else ranges[ranges.length - 1]!.gap = literal;
    const start = Number(m[1]);
    const end = Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw new ErrInvalidArgument(`template "${s}": range bound too large`);
    if (start > end) throw new ErrInvalidArgument(`template "${s}": range start ${start} is greater than its end ${end}`);
    if (!(step > 0)) throw new ErrInvalidArgument(`template "${s}": step must be positive`);
    ranges.push({ start, end, step, digits: m[1]!.length, gap: '' });
    last = m.index + m[0].length;
  }
  if (ranges.length === 0) throw new ErrInvalidArgument(`template "${s}": no range such as {000..999}`);
  const rest = s.slice(last);
  if (rest.includes('{') || rest.includes('}') || prefix.includes('{') || ranges.some((r) => r.gap.includes('{') || r.gap.includes('}'))) {
    throw new ErrInvalidArgument(`template "${s}": malformed range; use {start..end} or {start..end..step}`);
  }
  ranges[ranges.length - 1]!.gap = rest;
  return { prefix, ranges };
}

export function templateCount(t: Template): number {
  return t.ranges.reduce((n, r) => n * (Math.floor((r.end - r.start) / r.step) + 1), 1);
}

export function* expandTemplate(t: Template): Generator<string> {
  const values = t.ranges.map((r) => r.start);
  for (;;) {
    let name = t.prefix;
    t.ranges.forEach((r, i) => (name += String(values[i]).padStart(r.digits, '0') + r.gap));
    yield name;
    let i = t.ranges.length - 1;
    for (; i >= 0; i--) {
      const r = t.ranges[i]!;
      values[i]! += r.step;
      if (values[i]! <= r.end) break;
      values[i] = r.start;
    }
    if (i < 0) return;
  }
}
