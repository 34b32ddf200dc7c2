// GetBatch output formats on a real 1-proxy/3-target cluster: objects and shards of every format
// (built by the system tar/zip/lz4 and by `shoal archive put`) spread over the targets, fetched in
// every output format, streamed and multipart, as whole objects, files inside shards, ranges of
// both, and items across two buckets — each answer read back by the system tools (tar, tar -z,
// tar -I lz4, unzip) and compared byte for byte and in request order; `coer` with missing items.
// The 4xx paths are the core test's (get-batch-core.test.ts).
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
import { assertArchive, OUT_MIMES, type ExpectedEntry } from '../support/archive-read.ts';
import { cliRunner } from '../support/cli-run.ts';
import { createBucket, putObj, redirectLocation, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';
import { seededShuffle } from '../support/shuffle.ts';

const run = promisify(execFile);
const A = 'gbf-a';
const B = 'gbf-b';
const KIB = 1024;
const MIB = 1024 * KIB;
/** Sizes of the whole objects: empty, tiny, around block and chunk boundaries, a few MiB. */
const A_SIZES = [0, 1, 100, KIB, 4 * KIB, 10_000, 64 * KIB, 100 * KIB, 300 * KIB, MIB + 7, 2_500_000, 17];
const B_SIZES = [5, 2 * KIB, 50_000, 777_777, 123, 9_999];
/** Files inside every shard (name, size); every shard gets its own random bytes. */
const SHARD_FILES: [string, number][] = [
  ['a/0.txt', 10],
  ['a/1.bin', 70_000],
  ['b/2.bin', 1_300_000],
  ['3.txt', 0],
  ['c/d/4.dat', 5_000],
];
const SHARD_EXTS = ['.tar', '.tgz', '.tar.gz', '.tar.lz4', '.zip'] as const;
/** A stuck batch fails its test instead of hanging the file (max_wait is 20 s). */
const ANSWER_TIMEOUT_MS = 60_000;

let c: ObjCluster;
let work = '';
let dispatcher: Agent;
/** `bucket/object` → bytes; `bucket/shard/archpath` → bytes of the file inside. */
const data = new Map<string, Buffer>();
const objNames: { bck: string; name: string }[] = [];
const shardNames: { bck: string; name: string }[] = [];

const shuffled = seededShuffle;

async function put(bck: string, name: string, bytes: Buffer): Promise<void> {
  const res = await putObj(c.proxyUrl, bck, name, bytes);
  assert.equal(res.status, 200, `PUT ${bck}/${name}`);
}

/** Builds one shard's files on disk and returns their directory. */
async function shardDir(key: string): Promise<string> {
  const dir = join(work, 'src', key.replace(/[/.]/g, '_'));
  for (const [f, size] of SHARD_FILES) {
    const bytes = randomBytes(size);
    data.set(`${key}/${f}`, bytes);
    await mkdir(dirname(join(dir, f)), { recursive: true });
    await writeFile(join(dir, f), bytes);
  }
  return dir;
}

/** A shard by the system tools, files in SHARD_FILES order. */
async function systemShard(ext: (typeof SHARD_EXTS)[number], dir: string, out: string): Promise<void> {
  const files = SHARD_FILES.map(([f]) => f);
  if (ext === '.zip') await run('zip', ['-q', out, ...files], { cwd: dir });
  else if (ext === '.tar.lz4') await run('tar', ['-I', 'lz4', '-cf', out, ...files], { cwd: dir });
  else await run('tar', [ext === '.tar' ? '-cf' : '-czf', out, ...files], { cwd: dir });
}

before(async () => {
  c = await startObjCluster({ targets: 3 });
  work = await mkdtemp(join(tmpdir(), 'shoal-gbf-'));
  dispatcher = new Agent({ headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
  await createBucket(c.proxyUrl, A);
  await createBucket(c.proxyUrl, B);
  const cli = cliRunner(() => c.proxyUrl);
  for (const [bck, sizes, prefix] of [[A, A_SIZES, 'obj-'], [B, B_SIZES, 'img/x-']] as const) {
    for (const [i, size] of sizes.entries()) {
      const name = `${prefix}${i}.bin`;
      const bytes = randomBytes(size);
      data.set(`${bck}/${name}`, bytes);
      objNames.push({ bck, name });
      await put(bck, name, bytes);
    }
  }
  // Shards by the system tools in A, by `shoal archive put` in B.
  for (const ext of SHARD_EXTS) {
    const sys = `shards/sys${ext}`;
    const dir = await shardDir(`${A}/${sys}`);
    const file = join(work, `sys${ext}`);
    await systemShard(ext, dir, file);
    await put(A, sys, await readFile(file));
    shardNames.push({ bck: A, name: sys });

    const ours = `shards/cli${ext}`;
    const dir2 = await shardDir(`${B}/${ours}`);
    await cli.ok('archive', 'put', '-r', `${dir2}/`, `ais://${B}/${ours}`);
    shardNames.push({ bck: B, name: ours });
  }
});

after(async () => {
  await dispatcher?.close();
  await c?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Item {
  in: MossIn;
  /** Entry name with the default naming (`<bucket>/<obj>[/<archpath>]`). */
  name: string;
  bytes: Buffer;
}

function objItem(bck: string, name: string, start = 0, length = 0): Item {
  const all = data.get(`${bck}/${name}`)!;
  const end = length === 0 && start === 0 ? all.length : length === -1 ? all.length : start + length;
  const it: MossIn = { objname: name, bucket: bck };
  if (start !== 0 || length !== 0) Object.assign(it, { start, length });
  return { in: it, name: `${bck}/${name}`, bytes: all.subarray(start, end) };
}

function fileItem(bck: string, shard: string, archpath: string, start = 0, length = 0): Item {
  const all = data.get(`${bck}/${shard}/${archpath}`)!;
  const end = length === 0 && start === 0 ? all.length : length === -1 ? all.length : start + length;
  const it: MossIn = { objname: shard, bucket: bck, archpath };
  if (start !== 0 || length !== 0) Object.assign(it, { start, length });
  return { in: it, name: `${bck}/${shard}/${archpath}`, bytes: all.subarray(start, end) };
}

/** The four kinds of batch the formats are proven with. */
function batches(): Record<string, Item[]> {
  const objects = shuffled(objNames.map((o) => objItem(o.bck, o.name)), 1);
  const files = shuffled(
    shardNames.flatMap((s, i) => SHARD_FILES.filter((_, j) => (i + j) % 5 < 3).map(([f]) => fileItem(s.bck, s.name, f))),
    2,
  );
  const ranges = shuffled(
    [
      objItem(A, 'obj-1.bin', 0, 1),
      objItem(A, 'obj-3.bin', 100, 200),
      objItem(A, 'obj-7.bin', 50_000, -1),
      objItem(A, 'obj-9.bin', MIB, 7),
      objItem(A, 'obj-10.bin', 0, -1),
      objItem(A, 'obj-8.bin', 1, 300 * KIB - 1),
      objItem(B, 'img/x-3.bin', 123_456, 654_321),
      ...shardNames.map((s, i) => fileItem(s.bck, s.name, i % 2 === 0 ? 'b/2.bin' : 'a/1.bin', 1_000 + i, i % 3 === 0 ? -1 : 4_096)),
      fileItem(A, 'shards/sys.tar', 'c/d/4.dat', 4_999, 1),
      fileItem(B, 'shards/cli.zip', 'a/0.txt', 0, 10),
    ],
    3,
  );
  const mixed = shuffled(
    [
      ...objNames.filter((_, i) => i % 3 === 0).map((o) => objItem(o.bck, o.name)),
      ...shardNames.map((s, i) => fileItem(s.bck, s.name, SHARD_FILES[i % SHARD_FILES.length]![0])),
      objItem(B, 'img/x-2.bin', 10, 20),
      // (no name twice in one batch: extraction would overwrite one with the other)
      fileItem(A, 'shards/sys.tar.gz', 'b/2.bin', 500_000, -1),
    ],
    4,
  );
  return { objects, files, ranges, mixed };
}

interface Answer {
  archive: Buffer;
  resp?: MossResp;
  contentType: string;
}

async function getBatch(req: MossReq): Promise<Answer> {
  const res = await sendGetBatch(dispatcher, new URL(`${c.proxyUrl}/v1/ml/moss`), req);
  const contentType = String(res.headers['content-type'] ?? '');
  const chunks: Buffer[] = [];
  if (req.strm) {
    for await (const ch of res.body) chunks.push(ch as Buffer);
    return { archive: Buffer.concat(chunks), contentType };
  }
  const sink = new PassThrough();
  sink.on('data', (ch: Buffer) => chunks.push(ch));
  const { meta } = await readMossMultipart<MossResp>(res.body, contentType, sink);
  sink.end();
  return { archive: Buffer.concat(chunks), resp: meta, contentType };
}

test('objects and shards are spread over the targets', async () => {
  const owners = new Set<string>();
  for (const o of [...objNames, ...shardNames]) owners.add(new URL(await redirectLocation(c.proxyUrl, 'GET', o.bck, o.name)).origin);
  assert.equal(owners.size, 3, 'every target owns some of the items');
});

for (const mime of OUT_MIMES) {
  for (const strm of mime === '.zip' ? [false] : [false, true]) {
    describe(`output ${mime}, ${strm ? 'streamed' : 'multipart'}`, () => {
      for (const kind of ['objects', 'files', 'ranges', 'mixed'] as const) {
        test(kind, async () => {
          const items = batches()[kind];
          const onob = kind === 'mixed'; // names without the bucket; still unique here
          const ans = await getBatch({ mime, strm, onob, in: items.map((i) => i.in) });
          const expected: ExpectedEntry[] = items.map((i) => ({ name: onob ? i.name.slice(i.name.indexOf('/') + 1) : i.name, data: i.bytes }));
          await assertArchive(ans.archive, mime, expected, `${mime} ${strm ? 'strm' : 'multipart'} ${kind}`);
          if (strm) {
            assert.match(ans.contentType, /^application\//);
            return;
          }
          assert.match(ans.contentType, /^multipart\/mixed; boundary=/);
          const resp = ans.resp!;
          assert.equal(typeof resp.uuid, 'string');
          assert.equal(resp.out.length, items.length);
          resp.out.forEach((o, k) => {
            const it = items[k]!;
            assert.equal(o.objname, it.in.objname, `out[${k}].objname`);
            assert.equal(o.bucket, it.in.bucket, `out[${k}].bucket`);
            assert.equal(o.provider, 'ais', `out[${k}].provider`);
            assert.equal(o.archpath ?? '', it.in.archpath ?? '', `out[${k}].archpath`);
            assert.equal(o.size, it.bytes.length, `out[${k}].size`);
            assert.equal(o.err_msg ?? '', '', `out[${k}].err_msg`);
          });
        });
      }
    });
  }
}

describe('continue on error: missing items become zero-size __404__/ entries in every format', () => {
  for (const mime of OUT_MIMES) {
    for (const strm of mime === '.zip' ? [false] : [false, true]) {
      test(`${mime} ${strm ? 'streamed' : 'multipart'}`, async () => {
        const present = [objItem(A, 'obj-5.bin'), fileItem(B, 'shards/cli.tar.lz4', 'c/d/4.dat'), objItem(B, 'img/x-1.bin', 10, 100), fileItem(A, 'shards/sys.zip', 'a/1.bin')];
        const req: MossReq = {
          mime,
          strm,
          coer: true,
          in: [
            { ...present[0]!.in, opaque: 'b3BhcXVlLTA=' },
            { objname: 'no-such-object', bucket: A },
            present[1]!.in,
            { objname: 'shards/sys.tgz', bucket: A, archpath: 'no/such/file' },
            present[2]!.in,
            { objname: 'img/nope.bin', bucket: B, start: 5, length: 5 },
            present[3]!.in,
          ],
        };
        const ans = await getBatch(req);
        const empty = Buffer.alloc(0);
        await assertArchive(
          ans.archive,
          mime,
          [
            { name: present[0]!.name, data: present[0]!.bytes },
            { name: `__404__/${A}/no-such-object`, data: empty },
            { name: present[1]!.name, data: present[1]!.bytes },
            { name: `__404__/${A}/shards/sys.tgz/no/such/file`, data: empty },
            { name: present[2]!.name, data: present[2]!.bytes },
            { name: `__404__/${B}/img/nope.bin`, data: empty },
            { name: present[3]!.name, data: present[3]!.bytes },
          ],
          `coer ${mime}`,
        );
        if (strm) return;
        const out = ans.resp!.out;
        assert.equal(out.length, 7);
        assert.equal(out[0]!.opaque, 'b3BhcXVlLTA=', 'opaque echoed');
        for (const k of [1, 3, 5]) {
          assert.equal(out[k]!.size, 0, `out[${k}].size`);
          assert.ok((out[k]!.err_msg ?? '') !== '', `out[${k}] carries err_msg`);
        }
        for (const k of [0, 2, 4, 6]) assert.equal(out[k]!.err_msg ?? '', '', `out[${k}] has no error`);
        assert.equal(out[3]!.archpath, 'no/such/file');
      });
    }
  }
});

test('without coer, a batch with every item present succeeds in one shot (all formats, all kinds at once)', async () => {
  // Everything of every kind in one request: the biggest batch of this file, multipart .tar.
  const all = Object.values(batches()).flat();
  const seen = new Set<string>();
  const unique = all.filter((i) => (seen.has(i.name) ? false : (seen.add(i.name), true)));
  const ans = await getBatch({ in: unique.map((i) => i.in) });
  await assertArchive(ans.archive, '.tar', unique.map((i) => ({ name: i.name, data: i.bytes })), 'all kinds, default mime');
  assert.equal(ans.resp!.out.length, unique.length);
});
