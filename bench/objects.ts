// Object naming shared by the preload, the workers and the baselines, so every target serves
// the same names (and, for the baselines, the same bytes).

const NAME_DIGITS = 7;

export function objectName(index: number): string {
  return `obj-${String(index).padStart(NAME_DIGITS, '0')}`;
}

/** Path of an object on every target: the cluster's native API, or the same path on a baseline server. */
export function objectPath(bucket: string, index: number): string {
  return `/v1/objects/${bucket}/${objectName(index)}`;
}

export function bucketPath(bucket: string): string {
  return `/v1/buckets/${bucket}`;
}
