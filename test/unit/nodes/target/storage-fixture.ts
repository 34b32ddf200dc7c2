// Test Env for the storage engine: the real disk, wall clock, real timers, a seeded PRNG, no logs,
// no network. Temp dirs live under os.tmpdir() and are removed by `cleanup()`.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hrw } from '../../../../nodes/cluster/hrw.ts';
import { workDir } from '../../../../nodes/target/storage/layout.ts';
import { Storage } from '../../../../nodes/target/storage/storage.ts';
import { realDisk } from '../../../../runtime/env/real/disk.ts';
import { inlineWorkers } from '../../../../runtime/env/real/workers.ts';
import type { Env, Logger, Net, Random, TimerHandle, Timers } from '../../../../runtime/env/types.ts';

export function seededRandom(seed: number): Random {
  let s = seed >>> 0 || 1;
  const u32 = (): number => {
    // xorshift32: deterministic ids for tests
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    float: () => u32() / 2 ** 32,
    int: (n) => Math.floor((u32() / 2 ** 32) * n),
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = u32() & 0xff;
      return b;
    },
  };
}

const nopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => nopLogger,
};

const timers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms): TimerHandle => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

const noNet: Net = {
  serveHttp: () => Promise.reject(new Error('no network in storage tests')),
  request: () => Promise.reject(new Error('no network in storage tests')),
  listenMsg: () => Promise.reject(new Error('no network in storage tests')),
  connectMsg: () => {
    throw new Error('no network in storage tests');
  },
};

export function testEnv(seed = 1): Env {
  return {
    nodeId: 't1',
    clock: {
      monotonicMs: () => performance.now(),
      realtimeMs: () => Date.now(),
      realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
    },
    timers,
    random: seededRandom(seed),
    disk: realDisk(),
    net: noNet,
    log: nopLogger,
    workers: inlineWorkers(),
  };
}

export interface Fixture {
  env: Env;
  hrw: Hrw;
  root: string;
  mountpaths: string[];
  storage: Storage;
  reopen(): Promise<Storage>;
  cleanup(): Promise<void>;
}

export async function openFixture(mountpathCount = 2, seed = 1): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'shoal-storage-'));
  const mountpaths = Array.from({ length: mountpathCount }, (_, i) => join(root, `mp${i}`));
  const env = testEnv(seed);
  const hrw = await Hrw.create();
  const fx: Fixture = {
    env,
    hrw,
    root,
    mountpaths,
    storage: await Storage.open(env, { mountpaths, hrw }),
    async reopen() {
      await fx.storage.close();
      fx.storage = await Storage.open(env, { mountpaths, hrw });
      return fx.storage;
    },
    async cleanup() {
      await fx.storage.close();
      await rm(root, { recursive: true, force: true });
    },
  };
  return fx;
}

/** A fixture whose storage reads its clock from `now.ms` (tests that move time by hand, e.g. atime). */
export async function openFixtureWithClock(mountpathCount = 1): Promise<{ fx: Fixture; now: { ms: number } }> {
  const fx = await openFixture(mountpathCount);
  const now = { ms: 1_700_000_000_000 };
  const env = { ...fx.env, clock: { monotonicMs: () => now.ms, realtimeMs: () => now.ms, realtimeNs: () => BigInt(now.ms) * 1_000_000n } };
  fx.env = env;
  fx.reopen = async () => {
    await fx.storage.close();
    fx.storage = await Storage.open(env, { mountpaths: fx.mountpaths, hrw: fx.hrw });
    return fx.storage;
  };
  await fx.reopen();
  return { fx, now };
}

export const BCK = { provider: 'ais', name: 'b1' } as const;

export function bodyOf(data: Uint8Array | string, chunkBytes = 64 * 1024): Readable {
  const buf = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  const chunks: Buffer[] = [];
  for (let off = 0; off < buf.length; off += chunkBytes) chunks.push(buf.subarray(off, off + chunkBytes));
  return Readable.from(chunks, { objectMode: false });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

/** The bytes of a GET result: small reads come back as one buffer, larger ones as a stream. */
export async function readGot(got: { data?: Uint8Array; stream?: Readable }): Promise<Buffer> {
  if (got.data) return Buffer.from(got.data);
  return readAll(got.stream!);
}

export function patternBytes(n: number, salt = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + salt * 7 + (i >>> 8)) & 0xff;
  return b;
}

export const PUT_DEFAULTS = { cksumType: 'xxhash2', versioning: true, writePolicy: 'immediate' } as const;

/** Every work file left in the bucket's %wk dirs over all mountpaths (a missing dir holds none). */
export async function workFiles(fx: Fixture, bck: { provider: string; name: string } = BCK): Promise<string[]> {
  const out: string[] = [];
  for (const mp of fx.mountpaths) {
    const dir = workDir(mp, bck);
    const ents = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    out.push(...ents.map((e) => `${dir}/${e}`));
  }
  return out;
}
