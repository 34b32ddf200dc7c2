// Cluster feature flags (cmn/feat): bit i = name i, in AIS order, so numeric values match AIS.
// Shoal extensions take high bits so they never collide with AIS flags added later.
import { ErrInvalidArgument } from './errors.ts';

export const FEATURES_AIS = [
  'Enforce-IntraCluster-Access',
  'Skip-Loading-VersionChecksum-MD',
  'Do-not-Auto-Detect-FileShare',
  'S3-API-via-Root',
  'Fsync-PUT',
  'LZ4-Block-1MB',
  'LZ4-Frame-Checksum',
  'Do-not-Allow-Passing-FQN-to-ETL',
  'Ignore-LimitedCoexistence-Conflicts',
  'S3-Presigned-Request',
  'Do-not-Optimize-Listing-Virtual-Dirs',
  'Disable-Cold-GET',
  'Streaming-Cold-GET',
  'S3-Reverse-Proxy',
  'S3-Use-Path-Style',
  'Do-not-Delete-When-Rebalancing',
  'Do-not-Set-Control-Plane-ToS',
  'Trust-Crypto-Safe-Checksums',
  'S3-ListObjectVersions',
  'Enable-Detailed-Prom-Metrics',
  'Force-Container-CPU-Mem',
  'Resume-Interrupted-MPU',
  'Keep-Unknown-FQN',
  'Load-Balance-GET',
  'Count-Object-NotFound-Stats',
  'Enable-Go-Runtime-Metrics',
  'Dload-Allow-Private-Egress',
  'S3-Redirect-Rebuild',
] as const;

/** Shoal extension: the proxy relays native object requests instead of redirecting (for clients that do not follow 307). */
export const FEATURE_REVERSE_PROXY = 'Reverse-Proxy';
const EXTENSION_BIT_FIRST = 48n;
const FEATURES_EXT = [FEATURE_REVERSE_PROXY] as const;

export type FeatureName = (typeof FEATURES_AIS)[number] | (typeof FEATURES_EXT)[number];

function bitOf(name: string): bigint | undefined {
  const i = (FEATURES_AIS as readonly string[]).indexOf(name);
  if (i >= 0) return 1n << BigInt(i);
  const j = (FEATURES_EXT as readonly string[]).indexOf(name);
  if (j >= 0) return 1n << (EXTENSION_BIT_FIRST + BigInt(j));
  return undefined;
}

export function featureIsSet(flags: bigint, name: FeatureName): boolean {
  return (flags & (bitOf(name) ?? 0n)) !== 0n;
}

/** Parses AIS forms: a decimal bitmask, or comma-separated names; `none` or empty clears. */
export function parseFeatures(value: string): bigint {
  const v = value.trim();
  if (v === '' || v === 'none') return 0n;
  if (/^\d+$/.test(v)) return BigInt(v);
  let flags = 0n;
  for (const raw of v.split(',')) {
    const name = raw.trim();
    const bit = bitOf(name);
    if (bit === undefined) throw new ErrInvalidArgument(`unknown feature flag '${name}'`);
    flags |= bit;
  }
  if (featureIsSet(flags, 'S3-Reverse-Proxy') && featureIsSet(flags, 'S3-Redirect-Rebuild')) {
    throw new ErrInvalidArgument('feature flags "S3-Reverse-Proxy" and "S3-Redirect-Rebuild" are mutually exclusive');
  }
  return flags;
}

export function featureNames(flags: bigint): string[] {
  return [...FEATURES_AIS, ...FEATURES_EXT].filter((n) => featureIsSet(flags, n));
}
