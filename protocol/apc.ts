// AIS API constants (api/apc): URL paths, actions, query parameters, headers, `what` values.

export const URL_VERSION = 'v1';

export const Path = {
  buckets: 'buckets',
  objects: 'objects',
  cluster: 'cluster',
  daemon: 'daemon',
  health: 'health',
  reverse: 'reverse',
} as const;

export const Act = {
  createBck: 'create-bck',
  destroyBck: 'destroy-bck',
  list: 'list',
  setBprops: 'set-bprops',
  resetBprops: 'reset-bprops',
  summaryBck: 'summary-bck',
} as const;

export const Qparam = {
  provider: 'provider',
  namespace: 'namespace',
  what: 'what',
  props: 'props',
  presence: 'presence',
  validateCksum: 'validate-checksum',
  proxyId: 'pid',
  unixTime: 'utm',
  skipVC: 'skip_vc',
  latestVer: 'latest-ver',
  silent: 'sln',
  features: 'features',
  force: 'frc',
  readiness: 'readiness',
  primaryReadyReb: 'prr',
} as const;

export const What = {
  smap: 'smap',
  bmd: 'bmd',
  config: 'config',
  clusterConfig: 'cluster_config',
  nodeStats: 'node_stats',
  nodeStatus: 'node_status',
  snode: 'snode',
  mountpaths: 'mountpaths',
  sysinfo: 'sysinfo',
  targetIPs: 'target_ips',
  softwareVersion: 'software_version',
} as const;

export const Hdr = {
  cksumType: 'ais-checksum-type',
  cksumValue: 'ais-checksum-value',
  atime: 'ais-atime',
  version: 'ais-version',
  customMd: 'ais-custom-md',
  name: 'ais-name',
  location: 'ais-location',
  present: 'ais-present',
  bucketProps: 'ais-bucket-props',
  nodeId: 'ais-node-id',
  nodeUrl: 'ais-node-url',
  nodeUptime: 'ais-node-uptime',
  clusterUptime: 'ais-cluster-uptime',
  xactionId: 'ais-xaction-id',
  error: 'hdr-error',
  provider: 'ais-provider',
  versioningEnabled: 'ais-versioning-enabled',
} as const;

/** List-objects flags (apc/lsmsg.go). */
export const LsFlag = {
  cached: 1n,
  missing: 2n,
  deleted: 4n,
  archDir: 8n,
  nameOnly: 16n,
  nameSize: 32n,
  bckPresent: 64n,
  dontHeadRemote: 128n,
  dontAddRemote: 256n,
  notCached: 512n,
  noRecursion: 2048n,
  diff: 4096n,
  noDirs: 8192n,
  isS3: 16384n,
  nbi: 32768n,
} as const;

/** LsoEnt flags. */
export const EntryFlag = {
  statusMask: 0x1f,
  isCached: 64,
  inArch: 128,
  isDir: 256,
  isArchive: 512,
  isChunked: 8192,
} as const;

/** Selectable list-objects props; defaults for ais buckets: name,size,checksum,atime. */
export const LsoProps = [
  'name', 'size', 'version', 'checksum', 'atime', 'cached', 'status', 'copies', 'ec', 'custom',
  'location', 'chunked', 'last-modified', 'etag',
] as const;
export type LsoProp = (typeof LsoProps)[number];
export const LSO_PROPS_DEFAULT: readonly LsoProp[] = ['name', 'size', 'checksum', 'atime'];

export const LIST_PAGE_SIZE_MAX = 10_000;
export const LIST_PAGE_SIZE_DEFAULT = 10_000;

export const CKSUM_TYPES = ['none', 'xxhash', 'xxhash2', 'md5', 'crc32c', 'sha256', 'sha512'] as const;
export type CksumType = (typeof CKSUM_TYPES)[number];

export const Provider = { ais: 'ais' } as const;
/** Provider aliases accepted on input (AIS: s3→aws, gs→gcp, az→azure, oc→oci). */
export const PROVIDER_ALIASES: Record<string, string> = { '': 'ais', ais: 'ais', s3: 'aws', aws: 'aws', gs: 'gcp', gcp: 'gcp', az: 'azure', azure: 'azure', oc: 'oci', oci: 'oci' };

/** Cluster feature flags (cmn/feat), bit positions as names; only names matter on our wire. */
export const Feature = {
  reverseProxy: 'Reverse-Proxy',
  fsyncPut: 'Fsync-PUT',
  s3ApiViaRoot: 'S3-API-via-Root',
} as const;
