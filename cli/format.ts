// Output formatting as the AIS CLI prints it: IEC sizes (cos.ToSizeIEC), aligned tables, RFC822 times.

const KIB = 1024n;
const SIZE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;
/** Digits after the point, as `ais` (ToSizeIEC(b, 2)). */
export const SIZE_DIGITS = 2;
/** Spaces between table columns. */
export const TABLE_GAP = 2;

/** `1536` → `1.50KiB`, `100` → `100B`; accepts the JSON-string sizes of LsoEnt. */
export function formatSize(size: number | bigint | string): string {
  const b = BigInt(size);
  if (b < KIB) return `${b}B`;
  let unit = 0;
  let div = KIB;
  while (unit < SIZE_UNITS.length - 1 && b >= div * KIB) {
    div *= KIB;
    unit++;
  }
  // Number() is exact enough for two decimals of a ratio; the division keeps magnitudes small.
  const value = Number(b) / Number(div);
  return `${value.toFixed(SIZE_DIGITS)}${SIZE_UNITS[unit]}`;
}

/** Columns padded to their widest cell; no trailing spaces. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    headers
      .map((_, i) => {
        const cell = cells[i] ?? '';
        return i === headers.length - 1 ? cell : cell.padEnd(widths[i]! + TABLE_GAP);
      })
      .join('')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** Unix nanoseconds (decimal string, as `Ais-Atime`) → Go RFC822 in UTC: `02 Jan 06 15:04 UTC`. */
export function formatUnixNs(ns: string): string {
  if (!/^\d+$/.test(ns)) return ns;
  const d = new Date(Number(BigInt(ns) / 1_000_000n));
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${p2(d.getUTCFullYear() % 100)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())} UTC`;
}
