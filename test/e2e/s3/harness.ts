// Shared pieces of the real-S3-client end-to-end test: where the client binaries are, a child-process
// runner that never rejects (tests assert on exit codes and print the client's own words), a clean
// environment per client (nothing from the user's home or AWS_* variables), and the test data.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Debian's packages (what `.ci/run` installs). Absolute paths on purpose: on a dev box `aws` and
 * `python3` on PATH may be pyenv shims without boto3. `SHOAL_E2E_<NAME>` overrides one.
 */
export const BIN = {
  aws: process.env.SHOAL_E2E_AWS ?? '/usr/bin/aws',
  s3cmd: process.env.SHOAL_E2E_S3CMD ?? '/usr/bin/s3cmd',
  rclone: process.env.SHOAL_E2E_RCLONE ?? '/usr/bin/rclone',
  python3: process.env.SHOAL_E2E_PYTHON3 ?? '/usr/bin/python3',
} as const;

/** Dummy keys: S3 auth is off by default, any signature is accepted. */
export const ACCESS_KEY = 'shoal-e2e-key';
export const SECRET_KEY = 'shoal-e2e-secret';
export const REGION = 'us-east-1';

export const MiB = 1024 * 1024;
/** The issue's "20 MB multipart upload with 5 MB parts": 4 parts of 5 MiB (S3's minimum part size). */
export const BIG_SIZE_BYTES = 20 * MiB;
export const PART_SIZE_BYTES = 5 * MiB;
export const SMALL_SIZE_BYTES = 256 * 1024 + 17;
export const TREE_FILES = 50;
/** One client command; a multipart upload of 20 MiB on a busy 2-core box stays well inside. */
export const COMMAND_TIMEOUT_MS = 120_000;
const OUTPUT_BYTES_MAX = 64 * MiB;
/** How much of a failing client's stderr an assertion message quotes (its debug output can be huge). */
const STDERR_TAIL_CHARS = 3000;

/** Why a client's tests are skipped, or false when its binary is there. */
export function skipUnless(bin: string, what: string): string | false {
  return existsSync(bin) ? false : `${what} is not installed (${bin}); .ci/run installs it`;
}

export interface Run {
  cmd: string;
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  env: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a client; never rejects, so a test can assert on a failure and quote the client's stderr. */
export function run(bin: string, args: readonly string[], opts: RunOptions): Promise<Run> {
  const cmd = [bin, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ');
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? COMMAND_TIMEOUT_MS, maxBuffer: OUTPUT_BYTES_MAX, encoding: 'buffer' },
      (err, stdout, stderr) => {
        let code = 0;
        if (err !== null) code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        resolve({ cmd, code, stdout, stderr: stderr.toString('utf8') });
      },
    );
  });
}

export function describeRun(r: Run): string {
  const tail = r.stderr.length > STDERR_TAIL_CHARS ? `…${r.stderr.slice(-STDERR_TAIL_CHARS)}` : r.stderr;
  return `\`${r.cmd}\` exited ${r.code}\n--- stdout ---\n${r.stdout.toString('utf8').slice(0, STDERR_TAIL_CHARS)}\n--- stderr ---\n${tail}`;
}

export function assertOk(r: Run): string {
  assert.equal(r.code, 0, describeRun(r));
  return r.stdout.toString('utf8');
}

/** A failure the test expects: non-zero exit and the client names the S3 error (code or status). */
export function assertFails(r: Run, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `expected a failure matching ${pattern}, but ${describeRun(r)}`);
  assert.match(r.stderr + r.stdout.toString('utf8'), pattern, describeRun(r));
}

/** A minimal environment: PATH and a private HOME, nothing else inherited (no AWS_*, no ~/.s3cfg). */
export function cleanEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    TMPDIR: home,
    ...extra,
  };
}

export const sha256 = (b: Buffer | Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const md5 = (b: Buffer | Uint8Array): string => createHash('md5').update(b).digest('hex');

/** The multipart ETag S3 (and Shoal) gives: md5 of the concatenated binary part MD5s, then `-N`. */
export function multipartEtag(body: Buffer, partSize: number): string {
  const h = createHash('md5');
  let n = 0;
  for (let off = 0; off < body.length; off += partSize) {
    h.update(createHash('md5').update(body.subarray(off, off + partSize)).digest());
    n++;
  }
  return `${h.digest('hex')}-${n}`;
}

export interface Fixtures {
  dir: string;
  smallPath: string;
  small: Buffer;
  bigPath: string;
  big: Buffer;
  /** A directory tree for sync: nested dirs, TREE_FILES files. */
  treeDir: string;
  /** Relative paths (with `/`) → bytes. */
  tree: Map<string, Buffer>;
}

/** Random data under `dir`: one small file, one 20 MiB file, a tree of 50 files 3 levels deep. */
export async function makeFixtures(dir: string): Promise<Fixtures> {
  await mkdir(dir, { recursive: true });
  const small = randomBytes(SMALL_SIZE_BYTES);
  const big = randomBytes(BIG_SIZE_BYTES);
  const smallPath = join(dir, 'small.bin');
  const bigPath = join(dir, 'big.bin');
  await writeFile(smallPath, small);
  await writeFile(bigPath, big);
  const treeDir = join(dir, 'tree');
  const tree = new Map<string, Buffer>();
  for (let i = 0; i < TREE_FILES; i++) {
    // top level, one level, two levels: a/…, a/b/…, c/d/e/…
    const sub = i % 5 === 0 ? '' : i % 5 === 1 ? 'alpha/' : i % 5 === 2 ? 'alpha/beta/' : i % 5 === 3 ? 'gamma/delta/epsilon/' : 'zeta/';
    const rel = `${sub}file-${String(i).padStart(2, '0')}.dat`;
    const body = randomBytes(100 + ((i * 997) % 4000));
    await mkdir(dirname(join(treeDir, rel)), { recursive: true });
    await writeFile(join(treeDir, rel), body);
    tree.set(rel, body);
  }
  return { dir, smallPath, small, bigPath, big, treeDir, tree };
}

/** GET a (presigned) URL with plain fetch and no credentials of its own. */
export async function fetchBytes(url: string): Promise<{ status: number; body: Buffer; text: string }> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, text: body.toString('utf8').slice(0, 2000) };
}

// --- per-client configuration (temp files and env only, never the user's home) ----------------------

export interface Keys {
  accessKey: string;
  secretKey: string;
}

export const DUMMY_KEYS: Keys = { accessKey: ACCESS_KEY, secretKey: SECRET_KEY };

export interface ClientRunner {
  env: Record<string, string>;
  work: string;
  run(...args: string[]): Promise<Run>;
  ok(...args: string[]): Promise<string>;
}

function runner(bin: string, prefix: string[], env: Record<string, string>, work: string, suffix: (args: string[]) => string[] = () => []): ClientRunner {
  const r = (...args: string[]): Promise<Run> => run(bin, [...prefix, ...args, ...suffix(args)], { env, cwd: work });
  return { env, work, run: r, ok: async (...args: string[]) => assertOk(await r(...args)) };
}

/**
 * aws CLI: path style, multipart above 5 MiB in 5 MiB parts, retries off (a 5xx must fail the test,
 * not hide behind a retry); `s3` transfer commands without their \r-separated progress lines.
 */
export async function awsClient(home: string, endpoint: string, keys: Keys = DUMMY_KEYS): Promise<ClientRunner> {
  const work = join(home, 'work');
  await mkdir(work, { recursive: true });
  const config = join(home, 'aws-config');
  await writeFile(
    config,
    [
      '[default]',
      `region = ${REGION}`,
      'output = json',
      'retry_mode = standard',
      'max_attempts = 1',
      's3 =',
      '    addressing_style = path',
      '    multipart_threshold = 5MB',
      '    multipart_chunksize = 5MB',
      '    max_concurrent_requests = 4',
      '',
    ].join('\n'),
  );
  const env = cleanEnv(home, {
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials-none'),
    AWS_ACCESS_KEY_ID: keys.accessKey,
    AWS_SECRET_ACCESS_KEY: keys.secretKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  });
  const noProgress = (args: string[]): string[] => (args[0] === 's3' && ['cp', 'sync', 'mv'].includes(args[1] ?? '') ? ['--no-progress'] : []);
  return runner(BIN.aws, ['--endpoint-url', endpoint], env, work, noProgress);
}

/** s3cmd: `host_bucket` without `%(bucket)s` means path style under host_base's `/s3`. */
export async function s3cmdClient(home: string, endpoint: string, keys: Keys = DUMMY_KEYS): Promise<ClientRunner> {
  const work = join(home, 'work');
  await mkdir(work, { recursive: true });
  const cfg = join(home, 's3cfg');
  const u = new URL(endpoint);
  const hostPath = `${u.host}${u.pathname.replace(/\/+$/, '')}`;
  await writeFile(
    cfg,
    [
      '[default]',
      `access_key = ${keys.accessKey}`,
      `secret_key = ${keys.secretKey}`,
      `host_base = ${hostPath}`,
      `host_bucket = ${hostPath}`,
      `bucket_location = ${REGION}`,
      'use_https = False',
      'signature_v2 = False',
      'max_retries = 1',
      'progress_meter = False',
      '',
    ].join('\n'),
  );
  return runner(BIN.s3cmd, ['-c', cfg], cleanEnv(home), work);
}

/** rclone: an s3 remote `shoal:` (provider Other, path style; the endpoint keeps its /s3 path); retries off. */
export async function rcloneClient(home: string, endpoint: string, keys: Keys = DUMMY_KEYS): Promise<ClientRunner> {
  const work = join(home, 'work');
  await mkdir(work, { recursive: true });
  const conf = join(home, 'rclone.conf');
  await writeFile(
    conf,
    [
      '[shoal]',
      'type = s3',
      'provider = Other',
      `access_key_id = ${keys.accessKey}`,
      `secret_access_key = ${keys.secretKey}`,
      `region = ${REGION}`,
      `endpoint = ${endpoint}`,
      'force_path_style = true',
      '',
    ].join('\n'),
  );
  const env = cleanEnv(home, { RCLONE_CONFIG: conf, RCLONE_CACHE_DIR: join(home, 'rclone-cache') });
  return runner(BIN.rclone, ['--retries', '1', '--low-level-retries', '1'], env, work);
}

/** Env for test/e2e/s3/boto3_e2e.py (keys passed through SHOAL_E2E_ACCESS_KEY / _SECRET_KEY). */
export function boto3Env(home: string, keys: Keys = DUMMY_KEYS): Record<string, string> {
  return cleanEnv(home, {
    AWS_CONFIG_FILE: join(home, 'aws-config-none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials-none'),
    AWS_EC2_METADATA_DISABLED: 'true',
    SHOAL_E2E_ACCESS_KEY: keys.accessKey,
    SHOAL_E2E_SECRET_KEY: keys.secretKey,
    ...(process.env.SHOAL_E2E_BOTO3_DEBUG ? { SHOAL_E2E_BOTO3_DEBUG: process.env.SHOAL_E2E_BOTO3_DEBUG } : {}),
  });
}

/** A private HOME per client under the run's directory, so no user config leaks in. */
export async function clientHome(dir: string, name: string): Promise<string> {
  const home = join(dir, 'home', name);
  await mkdir(home, { recursive: true });
  return home;
}

/** Stops the run's cluster; a cluster that did not come up (or SHOAL_E2E_KEEP=1) keeps its node logs. */
export async function stopAndClean(cluster: { stop(): Promise<void> } | undefined, dir: string, started: boolean): Promise<void> {
  await cluster?.stop();
  if (process.env.SHOAL_E2E_KEEP === '1' || !started) console.log(`kept ${dir} (node logs under cluster/)`);
  else await rm(dir, { recursive: true, force: true });
}
