// GetBatch `coloc: 2` (shard-aware) on a real 1-proxy/3-target cluster: many members of a few shards
// (one per format, built by the system tar/lz4/zip) in shuffled order, read through the per-work-item
// shard cache on the DT and on the senders; byte for byte against the files, streamed and multipart,
// with ranges; a missing member with and without `coer`. (coloc 1 vs 2 timing: `npm run bench -- --op
// get-batch`.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import { sendGetBatch } from '../../cli/commands/ml.ts';
import type { MossIn, MossReq, MossResp } from '../../cli/commands/ml-spec.ts';
import { readMossMultipart } from '../../cli/multipart.ts';
import { assertArchive } from '../support/archive-read.ts';
import { http } from '../support/cluster-helpers.ts';
import { createBucket, putObj, redirectLocation, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { seededShuffle } from '../support/shuffle.ts';

const run = promisify(execFile);
const BCK = 'gbc';
const SHARD_EXTS = ['.tar', '.tgz', '.tar.lz4', '.zip'] as const;
/** Members per shard: sizes cycle through these (empty, tiny, around blocks, one over 1 MiB). */
const MEMBERS = 60;
const SIZES = [0, 1, 511, 512, 513, 1_024, 3_000, 70_000, 10, 1_200_000];
const BATCH_ITEMS = 200;
const ANSWER_TIMEOUT_MS = 120_000;

let c: ObjCluster;
let work = '';
/** Where the four test shards live (chosen in `before`). */
let shardDir = 'shards';
let dispatcher: Agent;
/** `shard/archpath` → bytes. */
const data = new Map<string, Buffer>();

const shuffled = seededShuffle;

function memberName(k: number): string {
  return `m/${String(k).padStart(4, '0')}.bin`;
}

/** Writes the members on disk, builds the shard with the system tools, PUTs it. */
async function putShard(ext: string, shard: string, n: number, sizeOf: (k: number) => number): Promise<void> {
  const dir = join(work, 'src', shard.replace(/[/.]/g, '_'));
  const files: string[] = [];
  for (let k = 0; k < n; k++) {
    const f = memberName(k);
    const bytes = randomBytes(sizeOf(k));
    data.set(`${shard}/${f}`, bytes);
    await mkdir(dirname(join(dir, f)), { recursive: true });
    await writeFile(join(dir, f), bytes);
    files.push(f);
  }
  const out = join(work, shard.replace(/\//g, '_'));
  if (ext === '.zip') await run('zip', ['-q', out, ...files], { cwd: dir });
  else if (ext === '.tar.lz4') await run('tar', ['-I', 'lz4', '-cf', out, ...files], { cwd: dir });
  else await run('tar', [ext === '.tar' ? '-cf' : '-czf', out, ...files], { cwd: dir });
  const res = await putObj(c.proxyUrl, BCK, shard, await readFile(out));
  assert.equal(res.status, 200, `PUT ${shard}`);
}

before(async () => {
  c = await startObjCluster({ targets: 3 });
  work = await mkdtemp(join(tmpdir(), 'shoal-gbc-'));
  dispatcher = new Agent({ headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
  await createBucket(c.proxyUrl, BCK);
  // A directory whose four shards do not all land on one target (HRW over random target ids).
  for (let d = 0; d < 20; d++) {
    const owners = new Set<string>();
    for (const ext of SHARD_EXTS) owners.add(new URL(await redirectLocation(c.proxyUrl, 'GET', BCK, `shards-${d}/s${ext}`)).origin);
    if (owners.size >= 2) {
      shardDir = `shards-${d}`;
      break;
    }
  }
  for (const ext of SHARD_EXTS) await putShard(ext, `${shardDir}/s${ext}`, MEMBERS, (k) => SIZES[k % SIZES.length]!);
});

after(async () => {
  await dispatcher?.close();
  await c?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Item {
  in: MossIn;
  name: string;
  bytes: Buffer;
}

function item(shard: string, archpath: string, start = 0, length = 0): Item {
  const all = data.get(`${shard}/${archpath}`)!;
  const it: MossIn = { objname: shard, bucket: BCK, archpath };
  if (start !== 0 || length !== 0) Object.assign(it, { start, length });
  return { in: it, name: `${BCK}/${shard}/${archpath}`, bytes: all.subarray(start, length === 0 ? all.length : start + length) };
}

/** 200 members drawn from the four shards (50 each), shuffled; a few as ranges. */
function batch(seed: number): Item[] {
  const per = BATCH_ITEMS / SHARD_EXTS.length;
  const items = SHARD_EXTS.flatMap((ext, e) =>
    shuffled([...Array(MEMBERS).keys()], seed + e)
      .slice(0, per)
      .map((k, j) => {
        const size = SIZES[k % SIZES.length]!;
        // Every 7th one a range in the middle (when there is a middle).
        return j % 7 === 0 && size > 20 ? item(`${shardDir}/s${ext}`, memberName(k), 5, size - 15) : item(`${shardDir}/s${ext}`, memberName(k));
      }),
  );
  return shuffled(items, seed);
}

interface Answer {
  status: number;
  archive: Buffer;
  resp?: MossResp;
  text?: string;
}

async function getBatch(req: MossReq): Promise<Answer> {
  const res = await sendGetBatch(dispatcher, new URL(`${c.proxyUrl}/v1/ml/moss`), req);
  const chunks: Buffer[] = [];
  if (req.strm) {
    for await (const ch of res.body) chunks.push(ch as Buffer);
    return { status: 200, archive: Buffer.concat(chunks) };
  }
  const sink = new PassThrough();
  sink.on('data', (ch: Buffer) => chunks.push(ch));
  const { meta } = await readMossMultipart<MossResp>(res.body, String(res.headers['content-type'] ?? ''), sink);
  sink.end();
  return { status: 200, archive: Buffer.concat(chunks), resp: meta };
}

test('the shards are spread over the targets (the DT reads some, senders the others)', async () => {
  const owners = new Set<string>();
  for (const ext of SHARD_EXTS) owners.add(new URL(await redirectLocation(c.proxyUrl, 'GET', BCK, `${shardDir}/s${ext}`)).origin);
  assert.ok(owners.size >= 2, `owners: ${[...owners].join(', ')}`);
});

describe('coloc 2: 200 members of 4 shards, shuffled', () => {
  for (const strm of [true, false]) {
    for (const mime of ['.tar', '.tgz'] as const) {
      test(`${mime} ${strm ? 'streamed' : 'multipart'}`, async () => {
        const items = batch(strm ? 11 : 12);
        const ans = await getBatch({ mime, strm, coloc: 2, in: items.map((i) => i.in) });
        assert.equal(ans.status, 200, ans.text);
        await assertArchive(ans.archive, mime, items.map((i) => ({ name: i.name, data: i.bytes })), `coloc 2 ${mime} ${strm ? 'strm' : 'multipart'}`);
        if (strm) return;
        assert.equal(ans.resp!.out.length, items.length);
        ans.resp!.out.forEach((o, k) => {
          assert.equal(o.archpath, items[k]!.in.archpath, `out[${k}].archpath`);
          assert.equal(o.size, items[k]!.bytes.length, `out[${k}].size`);
          assert.equal(o.err_msg ?? '', '', `out[${k}].err_msg`);
        });
      });
    }
  }

  test('the same batch with coloc 1 and coloc 2: the same archive', async () => {
    const items = batch(13);
    const a1 = await getBatch({ coloc: 1, strm: true, in: items.map((i) => i.in) });
    const a2 = await getBatch({ coloc: 2, strm: true, in: items.map((i) => i.in) });
    assert.equal(a1.status, 200, a1.text);
    assert.equal(a2.status, 200, a2.text);
    await assertArchive(a2.archive, '.tar', items.map((i) => ({ name: i.name, data: i.bytes })), 'coloc 2');
    await assertArchive(a1.archive, '.tar', items.map((i) => ({ name: i.name, data: i.bytes })), 'coloc 1');
  });
});

describe('coloc 2: a missing member', () => {
  const present = () => [item(`${shardDir}/s.tgz`, memberName(3)), item(`${shardDir}/s.zip`, memberName(7)), item(`${shardDir}/s.tar.lz4`, memberName(5))];

  test('without coer: 404 ErrNotFound naming the file and the shard', async () => {
    for (const strm of [false, true]) {
      const [a, b] = present();
      // First in the batch: streamed too, nothing was sent yet, so it is a proper 404.
      // (the client turns the AIS error JSON into an ErrRemote carrying its tcode and status)
      await assert.rejects(getBatch({ coloc: 2, strm, in: [{ objname: `${shardDir}/s.tgz`, bucket: BCK, archpath: 'no/such' }, a!.in, b!.in] }), (e: unknown) => {
        const x = e as { tcode?: string; status?: number; message?: string };
        assert.equal(x.tcode, 'ErrNotFound', `strm=${strm}`);
        assert.equal(x.status, 404);
        assert.equal(x.message, `archived file "no/such" does not exist in ais://${BCK}/${shardDir}/s.tgz`);
        return true;
      });
    }
  });

  test('with coer: a zero-size __404__ entry in its place, the others intact', async () => {
    for (const strm of [false, true]) {
      const [a, b, d] = present();
      const ins = [a!.in, { objname: `${shardDir}/s.tar`, bucket: BCK, archpath: 'no/such' }, b!.in, { objname: `${shardDir}/s.zip`, bucket: BCK, archpath: 'm/nope' }, d!.in];
      const ans = await getBatch({ coloc: 2, coer: true, strm, in: ins });
      assert.equal(ans.status, 200, ans.text);
      const empty = Buffer.alloc(0);
      await assertArchive(
        ans.archive,
        '.tar',
        [
          { name: a!.name, data: a!.bytes },
          { name: `__404__/${BCK}/${shardDir}/s.tar/no/such`, data: empty },
          { name: b!.name, data: b!.bytes },
          { name: `__404__/${BCK}/${shardDir}/s.zip/m/nope`, data: empty },
          { name: d!.name, data: d!.bytes },
        ],
        `coer strm=${strm}`,
      );
      if (strm) continue;
      const out = ans.resp!.out;
      assert.match(out[1]!.err_msg ?? '', /archived file "no\/such" does not exist/);
      assert.match(out[3]!.err_msg ?? '', /archived file "m\/nope" does not exist/);
    }
  });
});

test('admission: a coloc 2 work item reserves its shard cache on the DT (429 where coloc 1 still fits)', async () => {
  const set = async (q: string) => {
    const r = await http(`${c.proxyUrl}/v1/cluster/set-config?${q}`, { method: 'PUT' });
    assert.equal(r.status, 200, r.text);
  };
  const items = SHARD_EXTS.map((ext) => item(`${shardDir}/s${ext}`, memberName(1)));
  try {
    // coloc 1 needs at most 2 senders x 4 MiB + 16 MiB; coloc 2 adds 64 MiB of shard cache.
    await set(`get_batch.buffer_budget=${40 * 1024 * 1024}`);
    const ok = await getBatch({ coloc: 1, strm: true, in: items.map((i) => i.in) });
    await assertArchive(ok.archive, '.tar', items.map((i) => ({ name: i.name, data: i.bytes })), 'coloc 1 under a 40 MiB budget');
    const noWait = { sleep: async () => {} }; // the client's 429 retries, without the back-off
    await assert.rejects(sendGetBatch(dispatcher, new URL(`${c.proxyUrl}/v1/ml/moss`), { coloc: 2, in: items.map((i) => i.in) }, noWait), (e: unknown) => {
      const x = e as { tcode?: string; status?: number; message?: string };
      assert.equal(x.tcode, 'ErrTooManyRequests');
      assert.equal(x.status, 429);
      assert.match(x.message ?? '', /due to memory pressure/);
      return true;
    });
  } finally {
    await set('get_batch.buffer_budget=1073741824');
  }
});

