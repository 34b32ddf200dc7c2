// Command-line parsing for `npm run bench`: sizes (4KiB), durations (10s) and the option set,
// validated up front so a bad flag fails before any process is started.

export const OPS = ['put', 'get', 'mixed', 'rss', 'list', 'pool', 'copy', 'rebalance', 's3', 'get-batch'] as const;
export type BenchOp = (typeof OPS)[number];
export const BASELINES = ['node', 'nginx', 'all', 'none'] as const;
export type BaselineChoice = (typeof BASELINES)[number];

export const CONCURRENCY_MAX = 1024;
export const WORKERS_MAX = 32;
export const DURATION_MS_MIN = 100;
export const DURATION_MS_MAX = 3_600_000;
export const OBJECT_SIZE_BYTES_MAX = 1024 ** 3;
export const OBJECTS_MAX = 10_000_000;
/** `--op s3`: the multipart upload is written three times (native, multipart, single PUT): bound the disk. */
export const S3_MPT_BYTES_MAX = 16 * 1024 ** 3;
/** `--op get-batch`: the objects of one size are written once (disk). */
export const GB_CASE_BYTES_MAX = 16 * 1024 ** 3;
export const WORKERS_DEFAULT = 4;
export const CONCURRENCY_DEFAULT = 16;
export const DURATION_MS_DEFAULT = 10_000;
export const LIST_OBJECTS_DEFAULT = 100_000;
/** Preloaded objects for get/mixed: enough that a run does not read one hot file only, bounded on disk. */
const PRELOAD_BYTES_TARGET = 200 * 1024 ** 2;
const PRELOAD_OBJECTS_MAX = 1000;
const PRELOAD_OBJECTS_MIN = 16;

export interface BenchArgs {
  op: BenchOp;
  sizeBytes: number;
  concurrency: number;
  durationMs: number;
  workers: number;
  objects: number;
  baseline: BaselineChoice;
  endpoint: string | undefined;
  json: string | undefined;
  bucket: string | undefined;
  /** Same sync policy on both sides: the cluster's Fsync-PUT feature and fsync in the node baseline. */
  fsync: boolean;
  /** `--op rebalance` only (absent otherwise). */
  reb?: RebArgs;
  /** `--op s3` only: bytes of the multipart upload (0 skips the large transfers). */
  s3MptBytes?: number;
  /** `--op get-batch` only: bytes per case (a larger batch is cut), and whether the 4 GiB memory check runs. */
  gb?: { caseBytes: number; memCheck: boolean };
}

export class ArgError extends Error {
  override name = 'ArgError';
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
  kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/** `4KiB`, `1MiB`, `512`, `1.5MB` → bytes (IEC units are powers of 1024, SI of 1000). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ArgError(`bad size "${text}"; use e.g. 4KiB, 1MiB, 100B`);
  const bytes = Number(m[1]) * unit;
  if (!Number.isInteger(bytes)) throw new ArgError(`size "${text}" is not a whole number of bytes`);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10s`, `500ms`, `2m`, `1h`, `1m30s` → milliseconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  if (t.length === 0 || end !== t.length) throw new ArgError(`bad duration "${text}"; use e.g. 10s, 500ms, 2m`);
  return Math.round(total);
}

export function defaultObjects(op: BenchOp, sizeBytes: number): number {
  if (op === 'list') return LIST_OBJECTS_DEFAULT;
  const bySize = Math.floor(PRELOAD_BYTES_TARGET / Math.max(1, sizeBytes));
  return Math.max(PRELOAD_OBJECTS_MIN, Math.min(PRELOAD_OBJECTS_MAX, bySize));
}

function intIn(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    throw new ArgError(`--${name} must be an integer in [${min}, ${max}], got "${text}"`);
  }
  return n;
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new ArgError(`--${name} must be one of ${allowed.join('|')}, got "${text}"`);
  }
  return text as T;
}

/** Flags of `--op rebalance` (refused with any other op). */
export const REB_FLAGS = ['reb-bytes', 'reb-small-objects', 'reb-small-size', 'reb-get-size', 'reb-trigger'] as const;
const FLAGS = ['op', 'size', 'concurrency', 'duration', 'workers', 'objects', 'baseline', 'endpoint', 'json', 'bucket', 'fsync', 's3-mpt-size', 'gb-case-bytes', 'gb-mem', ...REB_FLAGS] as const;
type Flag = (typeof FLAGS)[number];

export const USAGE = `usage: npm run bench -- --op put|get|mixed|rss|list|copy|rebalance|s3|get-batch [--size 4KiB] [--concurrency ${CONCURRENCY_DEFAULT}]
       [--duration 10s] [--workers ${WORKERS_DEFAULT}] [--objects N] [--baseline node|nginx|all|none]
       [--endpoint http://127.0.0.1:PORT] [--bucket NAME] [--json FILE] [--fsync on|off]
       rebalance: [--reb-bytes 2GiB] [--reb-small-objects 20000] [--reb-small-size 16KiB]
                  [--reb-get-size 64KiB] [--reb-trigger decommission|join]
       s3: 4KiB and 1MiB through /s3 vs native (--duration per case); [--s3-mpt-size 1GiB] (0 skips it)
       get-batch: 1000 and 10000 × 1KiB..1MiB, GetBatch vs GETs; [--gb-case-bytes 2GiB] [--gb-mem on|off] (4 GiB batch, DT RSS)`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const raw = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new ArgError(`unexpected argument "${a}"\n${USAGE}`);
    const eq = a.indexOf('=');
    const key = (eq > 0 ? a.slice(2, eq) : a.slice(2)) as Flag;
    if (!FLAGS.includes(key)) throw new ArgError(`unknown option "--${key}"\n${USAGE}`);
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw new ArgError(`option --${key} needs a value`);
    if (raw.has(key)) throw new ArgError(`option --${key} given twice`);
    raw.set(key, value);
  }
  const op = oneOf('op', raw.get('op') ?? 'get', OPS);
  if (op !== 'rebalance') {
    const stray = REB_FLAGS.find((f) => raw.has(f));
    if (stray) throw new ArgError(`--${stray} applies to --op rebalance only`);
  }
  if (op !== 's3' && raw.has('s3-mpt-size')) throw new ArgError('--s3-mpt-size applies to --op s3 only');
  if (op !== 'get-batch' && (raw.has('gb-case-bytes') || raw.has('gb-mem'))) throw new ArgError('--gb-case-bytes and --gb-mem apply to --op get-batch only');
  const gb = op === 'get-batch' ? { caseBytes: parseSize(raw.get('gb-case-bytes') ?? '2GiB'), memCheck: oneOf('gb-mem', raw.get('gb-mem') ?? 'on', ['on', 'off'] as const) === 'on' } : undefined;
  if (gb !== undefined && (gb.caseBytes < 1024 * 1024 || gb.caseBytes > GB_CASE_BYTES_MAX)) throw new ArgError('--gb-case-bytes must be between 1MiB and 16GiB');
  const s3MptBytes = op === 's3' ? parseSize(raw.get('s3-mpt-size') ?? '1GiB') : undefined;
  if (s3MptBytes !== undefined && s3MptBytes > S3_MPT_BYTES_MAX) throw new ArgError('--s3-mpt-size must be at most 16GiB');
  const sizeBytes = parseSize(raw.get('size') ?? (op === 'rss' ? '64MiB' : op === 'rebalance' ? REB_SIZE_DEFAULT : '4KiB'));
  if (sizeBytes > OBJECT_SIZE_BYTES_MAX) throw new ArgError(`--size must be at most 1GiB`);
  const concurrency = intIn('concurrency', raw.get('concurrency') ?? String(op === 'rebalance' ? REB_GET_CONCURRENCY_DEFAULT : CONCURRENCY_DEFAULT), 1, CONCURRENCY_MAX);
  const durationMs = parseDuration(raw.get('duration') ?? `${DURATION_MS_DEFAULT}ms`);
  if (durationMs < DURATION_MS_MIN || durationMs > DURATION_MS_MAX) {
    throw new ArgError(`--duration must be between ${DURATION_MS_MIN}ms and 1h`);
  }
  const workersAsked = intIn('workers', raw.get('workers') ?? String(WORKERS_DEFAULT), 1, WORKERS_MAX);
  // Each worker runs at least one request at a time.
  const workers = Math.min(workersAsked, concurrency);
  const objectsText = raw.get('objects');
  const reb = op === 'rebalance' ? parseRebArgs(raw, sizeBytes) : undefined;
  // rebalance: --objects is the number of objects the GET load reads (of --reb-get-size)
  const objects = objectsText === undefined ? defaultObjects(op, reb ? reb.getSizeBytes : sizeBytes) : intIn('objects', objectsText, 1, OBJECTS_MAX);
  const baseline = oneOf('baseline', raw.get('baseline') ?? 'all', BASELINES);
  const endpoint = raw.get('endpoint');
  if (endpoint !== undefined && op === 'rebalance') throw new ArgError('--op rebalance starts its own clusters (it adds and removes targets): --endpoint is not supported');
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ArgError(`--endpoint "${endpoint}" is not a URL`);
    }
    if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
      throw new ArgError(`--endpoint must be http:// on the loopback (127.0.0.1), got "${endpoint}"`);
    }
  }
  const bucket = raw.get('bucket');
  if (bucket !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(bucket)) {
    throw new ArgError(`--bucket "${bucket}" is not a valid bucket name`);
  }
  const fsync = oneOf('fsync', raw.get('fsync') ?? 'off', ['on', 'off'] as const) === 'on';
  return { op, sizeBytes, concurrency, durationMs, workers, objects, baseline, endpoint, json: raw.get('json'), bucket, fsync, ...(reb ? { reb } : {}), ...(s3MptBytes !== undefined ? { s3MptBytes } : {}), ...(gb ? { gb } : {}) };
}

// --- `--op rebalance` -----------------------------------------------------------------------------

export const REB_TRIGGERS = ['decommission', 'join'] as const;
export type RebTrigger = (typeof REB_TRIGGERS)[number];
export const REB_SIZE_DEFAULT = '1MiB';
export const REB_BYTES_DEFAULT = '2GiB';
/** Disk use is about the data plus the moved share for the cp baseline: keep it well inside a dev box. */
export const REB_BYTES_MAX = 64 * 1024 ** 3;
export const REB_SMALL_OBJECTS_DEFAULT = 20_000;
export const REB_SMALL_OBJECTS_MAX = 1_000_000;
export const REB_SMALL_SIZE_DEFAULT = '16KiB';
export const REB_SMALL_SIZE_MAX = 64 * 1024 ** 2;
export const REB_GET_SIZE_DEFAULT = '64KiB';
export const REB_GET_SIZE_MAX = 64 * 1024 ** 2;
export const REB_GET_CONCURRENCY_DEFAULT = 8;

export interface RebArgs {
  /** Large case: this many bytes as objects of --size (objects = floor(bytes / size)). */
  bytes: number;
  objects: number;
  /** Small-object case: 0 skips it. */
  smallObjects: number;
  smallSizeBytes: number;
  /** Object size the GET latency load reads. */
  getSizeBytes: number;
  /** What starts the rebalance the GET load runs under. */
  trigger: RebTrigger;
}

function sizeIn(name: string, text: string, min: number, max: number): number {
  const n = parseSize(text);
  if (n < min || n > max) throw new ArgError(`--${name} must be between ${min} B and ${max} B, got "${text}"`);
  return n;
}

export function parseRebArgs(raw: ReadonlyMap<string, string>, sizeBytes: number): RebArgs {
  if (sizeBytes < 1) throw new ArgError('--size must be at least 1 B for --op rebalance');
  const bytes = sizeIn('reb-bytes', raw.get('reb-bytes') ?? REB_BYTES_DEFAULT, sizeBytes, REB_BYTES_MAX);
  const smallObjects = intIn('reb-small-objects', raw.get('reb-small-objects') ?? String(REB_SMALL_OBJECTS_DEFAULT), 0, REB_SMALL_OBJECTS_MAX);
  const smallSizeBytes = sizeIn('reb-small-size', raw.get('reb-small-size') ?? REB_SMALL_SIZE_DEFAULT, 1, REB_SMALL_SIZE_MAX);
  const getSizeBytes = sizeIn('reb-get-size', raw.get('reb-get-size') ?? REB_GET_SIZE_DEFAULT, 1, REB_GET_SIZE_MAX);
  const trigger = oneOf('reb-trigger', raw.get('reb-trigger') ?? 'decommission', REB_TRIGGERS);
  return { bytes, objects: Math.floor(bytes / sizeBytes), smallObjects, smallSizeBytes, getSizeBytes, trigger };
}
