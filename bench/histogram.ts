// HDR-like latency histogram in microseconds: exact below 128 µs, then 64 sub-buckets per
// power of two (≤ 1/64 ≈ 1.6 % relative error). Fixed size, so worker histograms merge by
// adding counts and travel over IPC as a plain array.

export const HISTOGRAM_SUB_BITS = 7;
const SUB_COUNT = 1 << HISTOGRAM_SUB_BITS; // 128
const SUB_HALF = SUB_COUNT >> 1; // 64
/** Values above this (about 35 minutes) are clamped: no request lives that long here. */
export const HISTOGRAM_VALUE_US_MAX = 2 ** 31 - 1;

export interface HistogramSnapshot {
  counts: number[];
  total: number;
  minUs: number;
  maxUs: number;
  sumUs: number;
}

export function bucketIndex(valueUs: number): number {
  const v = Math.min(HISTOGRAM_VALUE_US_MAX, Math.max(0, Math.round(valueUs)));
  if (v < SUB_COUNT) return v;
  const msb = 31 - Math.clz32(v);
  const shift = msb - (HISTOGRAM_SUB_BITS - 1);
  const top = v >>> shift; // in [SUB_HALF, SUB_COUNT)
  return (shift + 1) * SUB_HALF + (top - SUB_HALF);
}

/** Inclusive [low, high] range of values that map to a bucket. */
export function bucketRange(index: number): [number, number] {
  if (index < SUB_COUNT) return [index, index];
  const shift = Math.floor(index / SUB_HALF) - 1;
  const top = (index % SUB_HALF) + SUB_HALF;
  return [top * 2 ** shift, (top + 1) * 2 ** shift - 1];
}

export const HISTOGRAM_BUCKETS = bucketIndex(HISTOGRAM_VALUE_US_MAX) + 1;

export class Histogram {
  readonly counts: number[];
  total = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;
  sumUs = 0;

  constructor(snapshot?: HistogramSnapshot) {
    this.counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
    if (snapshot) this.merge(snapshot);
  }

  record(valueUs: number): void {
    const v = Math.min(HISTOGRAM_VALUE_US_MAX, Math.max(0, valueUs));
    this.counts[bucketIndex(v)]! += 1;
    this.total += 1;
    this.sumUs += v;
    if (v < this.minUs) this.minUs = v;
    if (v > this.maxUs) this.maxUs = v;
  }

  merge(other: HistogramSnapshot): void {
    if (other.counts.length !== HISTOGRAM_BUCKETS) {
      throw new Error(`histogram has ${other.counts.length} buckets, expected ${HISTOGRAM_BUCKETS}`);
    }
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumUs += other.sumUs;
    if (other.total > 0) {
      this.minUs = Math.min(this.minUs, other.minUs);
      this.maxUs = Math.max(this.maxUs, other.maxUs);
    }
  }

  /** Value at percentile p (0..100]: the upper end of the bucket holding that rank, capped by the max seen. */
  percentileUs(p: number): number {
    if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside (0, 100]`);
    if (this.total === 0) return 0;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.max(this.minUs, Math.min(this.maxUs, bucketRange(i)[1]));
    }
    return this.maxUs;
  }

  meanUs(): number {
    return this.total === 0 ? 0 : this.sumUs / this.total;
  }

  snapshot(): HistogramSnapshot {
    return {
      counts: [...this.counts],
      total: this.total,
      minUs: this.total === 0 ? 0 : this.minUs,
      maxUs: this.maxUs,
      sumUs: this.sumUs,
    };
  }
}
