// Virtual time for I/O, as a real machine spends it: a disk op costs a per-op latency plus its bytes
// over the device bandwidth, and ops on one device (a mountpath, or the node's system disk) queue
// behind each other; a network message costs its bytes over the link bandwidth on top of the latency.
// Without this, virtual time barely moves while the CPU does the work of a busy cluster.
// The model (bandwidths) is drawn from the world seed, each op's latency from the node's 'io' stream.
import { Readable } from 'node:stream';
import type { Disk, DirEntry, FileStat, FsStats, KvIndex, WritableFile } from '../../runtime/env/types.ts';
import type { SimDisk } from './disk.ts';
import { SimRandom } from './random.ts';
import type { Scheduler } from './scheduler.ts';

/** Per-op latency of a disk op (uniform per op), ms. */
export const SIM_DISK_OP_MS_MIN = 0.05;
export const SIM_DISK_OP_MS_MAX = 0.2;
/** Bandwidth of one disk (a mountpath's device), drawn per world: MB/s. */
export const SIM_DISK_MBPS_MIN = 250;
export const SIM_DISK_MBPS_MAX = 750;
/** Bandwidth of a network link, drawn per world: Gbit/s. */
export const SIM_NET_GBITPS_MIN = 1;
export const SIM_NET_GBITPS_MAX = 10;
/** The device of paths outside every registered root (confdir, metadata). */
export const SIM_SYSTEM_DEVICE = '/';

export interface SimIoModel {
  diskOpMsMin: number;
  diskOpMsMax: number;
  diskBytesPerMs: number;
  netBytesPerMs: number;
}

/** The world's I/O model for `seed` (own stream: drawing it shifts no other draw). */
export function drawIoModel(seed: number): SimIoModel {
  const r = SimRandom.stream(seed, 'io/model');
  return {
    diskOpMsMin: SIM_DISK_OP_MS_MIN,
    diskOpMsMax: SIM_DISK_OP_MS_MAX,
    diskBytesPerMs: (r.range(SIM_DISK_MBPS_MIN, SIM_DISK_MBPS_MAX) * 1e6) / 1000,
    netBytesPerMs: (r.range(SIM_NET_GBITPS_MIN, SIM_NET_GBITPS_MAX) * 1e9) / 8 / 1000,
  };
}

/**
 * The devices of one node's disk: each is a FIFO (an op starts when the previous one on the device
 * is done). Kept across restarts of the node (it is the hardware).
 */
export class SimDevices {
  readonly #busyUntil = new Map<string, number>();
  /** Device roots (mountpaths), longest first, and the same with a trailing '/' (no allocation per lookup). */
  #roots: string[] = [];
  #rootsSlash: string[] = [];
  readonly random: SimRandom;
  /** Ops take virtual time (else they complete at once: the simulator without an I/O model). */
  readonly timed: boolean;

  constructor(readonly sched: Scheduler, readonly nodeId: string, readonly model: SimIoModel, seed: number) {
    this.random = SimRandom.stream(seed, `io/${nodeId}`);
    this.timed = model.diskOpMsMax > 0 || Number.isFinite(model.diskBytesPerMs);
  }

  /** Each root is a device of its own (a mountpath); other paths share the system device. */
  setRoots(roots: readonly string[]): void {
    this.#roots = [...roots].map((r) => r.replace(/\/+$/, '')).sort((a, b) => b.length - a.length);
    this.#rootsSlash = this.#roots.map((r) => `${r}/`);
  }

  device(path: string): string {
    const roots = this.#roots;
    for (let i = 0; i < roots.length; i++) if (path.startsWith(this.#rootsSlash[i]!) || path === roots[i]) return roots[i]!;
    return SIM_SYSTEM_DEVICE;
  }

  /** Virtual ms at which an op moving `bytes` on `path`, issued now, completes. */
  reserve(path: string, bytes: number): number {
    const dev = this.device(path);
    const m = this.model;
    const start = Math.max(this.sched.nowMs, this.#busyUntil.get(dev) ?? 0);
    const done = start + this.random.range(m.diskOpMsMin, m.diskOpMsMax) + bytes / m.diskBytesPerMs;
    this.#busyUntil.set(dev, done);
    return done;
  }
}

/**
 * One incarnation's view of its node's SimDisk: every op first waits its device time (a traced
 * 'disk' event), then runs on the disk. Ops of a crashed incarnation never complete (its memory is
 * gone), and never touch the disk. Index reads stay synchronous (LMDB reads a memory map); index
 * writes apply when they complete, as an lmdb-js commit becomes visible.
 */
export class SimNodeDisk implements Disk {
  constructor(
    readonly raw: SimDisk,
    readonly devices: SimDevices,
    readonly alive: () => boolean,
  ) {}

  /** Resolves when an op of `bytes` on `path` is done (never, if the incarnation crashed meanwhile). */
  wait(path: string, bytes = 0): Promise<void> {
    if (!this.devices.timed) return this.alive() ? Promise.resolve() : new Promise<void>(() => {});
    const at = this.devices.reserve(path, bytes);
    return new Promise<void>((resolve) => {
      this.devices.sched.at(at, this.devices.nodeId, 'disk', () => this.alive() && resolve(), bytes);
    });
  }

  async mkdir(path: string): Promise<void> {
    await this.wait(path);
    return this.raw.mkdir(path);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    await this.wait(path);
    return this.raw.stat(path);
  }

  async readdir(path: string): Promise<DirEntry[]> {
    await this.wait(path);
    return this.raw.readdir(path);
  }

  async readFile(path: string): Promise<Uint8Array> {
    await this.wait(path, this.raw.sizeOf(path));
    return this.raw.readFile(path);
  }

  async writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    const copy = new Uint8Array(data); // the caller may reuse its buffer while we wait
    await this.wait(path, copy.byteLength);
    await this.wait(path); // fsync + rename
    return this.raw.writeFileAtomic(path, copy);
  }

  async openWrite(path: string): Promise<WritableFile> {
    await this.wait(path);
    const w = await this.raw.openWrite(path);
    return {
      write: async (data: Uint8Array) => {
        const copy = new Uint8Array(data);
        await this.wait(path, copy.byteLength);
        return w.write(copy);
      },
      writev: async (chunks: Uint8Array[]) => {
        const copies = chunks.map((c) => new Uint8Array(c));
        await this.wait(path, copies.reduce((a, c) => a + c.byteLength, 0));
        return w.writev(copies);
      },
      sync: async () => {
        await this.wait(path);
        return w.sync();
      },
      close: () => w.close(),
    };
  }

  createReadStream(path: string, range?: { start: number; end: number }): Readable {
    const size = this.raw.sizeOf(path);
    const bytes = range === undefined ? size : Math.max(0, Math.min(size, range.end + 1) - range.start);
    const ready = this.wait(path, bytes);
    const raw = this.raw;
    // the bytes arrive once the device read them; errors (missing file, injected EIO) then surface
    return Readable.from(
      (async function* () {
        await ready;
        yield* raw.createReadStream(path, range);
      })(),
      { objectMode: false },
    );
  }

  async readRange(path: string, start: number, length: number): Promise<Uint8Array> {
    await this.wait(path, Math.max(0, Math.min(length, this.raw.sizeOf(path) - start)));
    return this.raw.readRange(path, start, length);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.wait(from);
    return this.raw.rename(from, to);
  }

  async unlink(path: string): Promise<void> {
    await this.wait(path);
    return this.raw.unlink(path);
  }

  async rmrf(path: string): Promise<void> {
    await this.wait(path);
    return this.raw.rmrf(path);
  }

  async statfs(path: string): Promise<FsStats> {
    return this.raw.statfs(path); // the filesystem's counters, no device access
  }

  async openIndex(dir: string): Promise<KvIndex> {
    await this.wait(dir);
    const idx = await this.raw.openIndex(dir);
    return {
      get: (key) => idx.get(key),
      range: (opts) => idx.range(opts),
      put: async (key, value) => {
        const copy = new Uint8Array(value);
        await this.wait(dir, key.length + copy.byteLength);
        return idx.put(key, copy);
      },
      remove: async (key) => {
        await this.wait(dir, key.length);
        return idx.remove(key);
      },
      flush: async () => {
        await this.wait(dir);
        return idx.flush();
      },
      close: () => idx.close(),
    };
  }
}
