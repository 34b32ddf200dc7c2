// Micro benchmark: full listing of one Storage (100 000 names over 2 mountpaths) in pages of
// 10 000, names only and with the default ais props (name,size,checksum,atime: full LOM decode).
// Baseline measured in the same run: a recursive directory walk + sort of the same objects, i.e.
// what a listing without the metadata index would cost.
// Run: node --import tsx bench/storage-list.ts [names]
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hrw } from '../nodes/cluster/hrw.ts';
import { Storage } from '../nodes/target/storage/storage.ts';
import { realDisk } from '../runtime/env/real/disk.ts';
import { inlineWorkers } from '../runtime/env/real/workers.ts';
import type { Env, Logger } from '../runtime/env/types.ts';

const NAMES_DEFAULT = 100_000;
const PAGE_SIZE = 10_000;
const PUT_CONCURRENCY = 64;
const ROUNDS = 5;

const nop: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => nop };
let rnd = 0x9e3779b9;
const env: Env = {
  nodeId: 'bench',
  clock: { monotonicMs: () => performance.now(), realtimeMs: () => Date.now(), realtimeNs: () => BigInt(Date.now()) * 1_000_000n },
  timers: {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  },
  random: {
    float: () => Math.random(),
    int: (n) => Math.floor(Math.random() * n),
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        rnd = (Math.imul(rnd, 1664525) + 1013904223) >>> 0;
        b[i] = rnd >>> 24;
      }
      return b;
    },
  },
  disk: realDisk(),
  net: {
    serveHttp: () => Promise.reject(new Error('no net')),
    request: () => Promise.reject(new Error('no net')),
    listenMsg: () => Promise.reject(new Error('no net')),
    connectMsg: () => {
      throw new Error('no net');
    },
  },
  log: nop,
  workers: inlineWorkers(),
};

function objName(i: number): string {
  // shards of 1 000 objects, like a training data set: train/shard-0042/sample-000042123.jpg
  return `train/shard-${String(Math.floor(i / 1000)).padStart(4, '0')}/sample-${String(i).padStart(9, '0')}.jpg`;
}

async function walk(dir: string, rel: string, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) await walk(join(dir, e.name), `${rel}${e.name}/`, out);
    else out.push(rel + e.name);
  }
}

function rate(count: number, ms: number): string {
  return `${Math.round((count * 1000) / ms).toLocaleString('en-US')} names/s`;
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? NAMES_DEFAULT);
  const root = await mkdtemp(join(tmpdir(), 'shoal-bench-list-'));
  const mountpaths = [join(root, 'mp0'), join(root, 'mp1')];
  const storage = await Storage.open(env, { mountpaths, hrw: await Hrw.create() });
  const bck = { provider: 'ais', name: 'bench' };
  try {
    const t0 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < total; i = next++) {
        await storage.put(bck, objName(i), Readable.from([Buffer.from(objName(i))]), {
          cksumType: 'xxhash2',
          versioning: true,
          writePolicy: 'never', // filling, not measuring fsync
        });
      }
    };
    await Promise.all(Array.from({ length: PUT_CONCURRENCY }, worker));
    const fillMs = performance.now() - t0;
    console.log(`fill: ${total} PUTs in ${(fillMs / 1000).toFixed(1)} s (${Math.round((total * 1000) / fillMs)} PUT/s)`);

    const listAll = (withProps: boolean): number => {
      let n = 0;
      let after: string | undefined;
      for (;;) {
        const page = withProps
          ? storage.list(bck, { limit: PAGE_SIZE, startAfter: after }).map((e) => e.name)
          : storage.listNames(bck, { limit: PAGE_SIZE, startAfter: after });
        if (page.length === 0) break;
        n += page.length;
        after = page[page.length - 1];
      }
      return n;
    };

    const best = { names: Infinity, props: Infinity, walk: Infinity, walkStat: Infinity };
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      if (listAll(false) !== total) throw new Error('names listing incomplete');
      best.names = Math.min(best.names, performance.now() - t);
      t = performance.now();
      if (listAll(true) !== total) throw new Error('props listing incomplete');
      best.props = Math.min(best.props, performance.now() - t);
      t = performance.now();
      const walked: string[] = [];
      for (const mp of mountpaths) await walk(join(mp, '@ais', 'bench', '%ob'), '', walked);
      walked.sort();
      if (walked.length !== total) throw new Error(`walk found ${walked.length}`);
      best.walk = Math.min(best.walk, performance.now() - t);
      t = performance.now();
      // A walk that also reports size and atime must stat every file (what the index saves).
      let bytes = 0;
      for (let i = 0; i < walked.length; i += PUT_CONCURRENCY) {
        const part = walked.slice(i, i + PUT_CONCURRENCY);
        const sts = await Promise.all(part.map((n) => stat(join(storage.fqn(bck, n)!))));
        for (const st of sts) bytes += st.size;
      }
      if (bytes === 0) throw new Error('walk+stat found no bytes');
      best.walkStat = Math.min(best.walkStat, best.walk + performance.now() - t);
    }
    console.log(`list names only  (pages of ${PAGE_SIZE}): ${best.names.toFixed(0)} ms, ${rate(total, best.names)}`);
    console.log(`list default props (pages of ${PAGE_SIZE}): ${best.props.toFixed(0)} ms, ${rate(total, best.props)}`);
    console.log(`baseline dir walk + sort (names only): ${best.walk.toFixed(0)} ms, ${rate(total, best.walk)}`);
    console.log(`baseline dir walk + sort + stat (props): ${best.walkStat.toFixed(0)} ms, ${rate(total, best.walkStat)}`);
    console.log(
      `ratio index/walk: names ${(best.walk / best.names).toFixed(1)}x, props ${(best.walkStat / best.props).toFixed(1)}x (best of ${ROUNDS})`,
    );
  } finally {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
