// Go time layouts used by AIS listings (LsoMsg.time_format): RFC822 by default.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export const RFC822 = '02 Jan 06 15:04 MST';
export const RFC3339 = '2006-01-02T15:04:05Z07:00';
export const ISO8601 = '2006-01-02T15:04:05.000Z';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Formats a UTC instant with a Go reference layout (the subset AIS clients use). */
export function formatGoTime(unixNs: bigint, layout: string): string {
  const d = new Date(Number(unixNs / 1_000_000n));
  const tokens: [string, () => string][] = [
    ['2006', () => String(d.getUTCFullYear())],
    ['Z07:00', () => 'Z'],
    ['.000000000', () => '.' + String(unixNs % 1_000_000_000n).padStart(9, '0')],
    ['.000000', () => '.' + String((unixNs % 1_000_000_000n) / 1000n).padStart(6, '0')],
    ['.000', () => '.' + pad(d.getUTCMilliseconds(), 3)],
    ['Jan', () => MONTHS[d.getUTCMonth()]!],
    ['Mon', () => DAYS[d.getUTCDay()]!],
    ['MST', () => 'UTC'],
    ['01', () => pad(d.getUTCMonth() + 1)],
    ['02', () => pad(d.getUTCDate())],
    ['06', () => pad(d.getUTCFullYear() % 100)],
    ['15', () => pad(d.getUTCHours())],
    ['04', () => pad(d.getUTCMinutes())],
    ['05', () => pad(d.getUTCSeconds())],
  ];
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, fn] of tokens) {
      if (layout.startsWith(tok, i)) {
        out += fn();
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}
