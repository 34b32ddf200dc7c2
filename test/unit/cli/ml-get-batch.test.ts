// `shoal ml get-batch` against a fake proxy and designated target on loopback: the 307 flow with the
// body sent again, 429 retries, multipart and streamed answers, and failures that leave no file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { Agent } from 'undici';
import { GET_BATCH_RETRIES_MAX, sendGetBatch } from '../../../cli/commands/ml.ts';
import type { MossReq } from '../../../cli/commands/ml-spec.ts';
import { ErrRemote } from '../../../protocol/errors.ts';
import { runCli } from './fake-ais.ts';

const BOUNDARY = 'fake-boundary';
const ARCHIVE = randomBytes(300_000);

interface Seen {
  proxy: { path: string; query: string; body: MossReq }[];
  target: { path: string; body: MossReq | undefined }[];
}

let seen: Seen;
/** What the fake proxy does: 429 this many times first, then redirect (or an error). */
let busy = 0;
let proxyError: { status: number; body: unknown } | undefined;
/** What the fake target does with a streamed request: send all, or cut the connection midway. */
let truncate = false;
let proxy: http.Server;
let target: http.Server;
let proxyUrl = '';
let targetUrl = '';
let dir = '';

async function readJson(req: http.IncomingMessage): Promise<MossReq | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as MossReq);
}

function listen(s: http.Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-ml-unit-'));
  proxy = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const body = (await readJson(req))!;
    seen.proxy.push({ path: u.pathname, query: u.search, body });
    if (proxyError) return void res.writeHead(proxyError.status, { 'content-type': 'application/json' }).end(JSON.stringify(proxyError.body));
    if (busy > 0) {
      busy--;
      return void res.writeHead(429, { 'content-type': 'application/json' }).end(JSON.stringify({ tcode: 'ErrTooManyRequests', message: 'busy', status: 429 }));
    }
    res.writeHead(307, { location: `${targetUrl}/v1/ml/moss/gbt-x/w1?tid=t1` }).end();
  });
  target = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const body = await readJson(req);
    seen.target.push({ path: u.pathname, body });
    const mreq = body ?? seen.proxy[seen.proxy.length - 1]!.body;
    if (mreq.strm) {
      res.writeHead(200, { 'content-type': 'application/x-tar' });
      if (truncate) {
        res.write(ARCHIVE.subarray(0, 100_000), () => res.destroy());
        return;
      }
      return void res.end(ARCHIVE);
    }
    const out = mreq.in.map((x, i) => ({ objname: x.objname, bucket: x.bucket, provider: x.provider, size: i === 1 ? 0 : 10, ...(i === 1 ? { err_msg: `${x.objname} does not exist` } : {}) }));
    res.writeHead(200, { 'content-type': `multipart/mixed; boundary=${BOUNDARY}` });
    res.write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ uuid: 'gbt-x', out })}\r\n`);
    res.write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="archive"; filename="gbt-x"\r\n\r\n`);
    res.write(ARCHIVE);
    res.end(`\r\n--${BOUNDARY}--\r\n`);
  });
  proxyUrl = await listen(proxy);
  targetUrl = await listen(target);
});

beforeEach(() => {
  seen = { proxy: [], target: [] };
  busy = 0;
  proxyError = undefined;
  truncate = false;
});

after(async () => {
  for (const s of [proxy, target]) {
    s.closeAllConnections();
    s.close();
  }
  await rm(dir, { recursive: true, force: true });
});

test('multipart: archive part written byte for byte, summary with the missing item, default bucket in path and items', async () => {
  const out = join(dir, 'a.tgz');
  const r = await runCli(proxyUrl, 'ml', 'get-batch', 'ais://data', out, '--list', 'a, b, s.tar/f.txt', '--cont-on-err', '--omit-src-bck');
  assert.equal(r.code, 0, r.err);
  assert.ok((await readFile(out)).equals(ARCHIVE));
  assert.equal(seen.proxy.length, 1);
  assert.equal(seen.proxy[0]!.path, '/v1/ml/moss/data');
  assert.equal(seen.proxy[0]!.query, '?provider=ais');
  assert.deepEqual(seen.proxy[0]!.body, {
    in: [
      { objname: 'a', bucket: 'data', provider: 'ais' },
      { objname: 'b', bucket: 'data', provider: 'ais' },
      { objname: 's.tar', archpath: 'f.txt', bucket: 'data', provider: 'ais' },
    ],
    mime: '.tgz',
    coer: true,
    onob: true,
  });
  // The 307 is followed with the same body, as Go's client replays it.
  assert.deepEqual(seen.target, [{ path: '/v1/ml/moss/gbt-x/w1', body: seen.proxy[0]!.body }]);
  assert.match(r.out, new RegExp(`Created ML batch archive ${out} with 3 objects \\(292\\.97KiB, 1 missing\\)`));
  assert.match(r.out, /  ais:\/\/data\/b: b does not exist/);
});

test('streaming: the archive as sent; a spec without a default bucket goes to /v1/ml/moss, coloc in the query', async () => {
  const out = join(dir, 's.tar.lz4');
  const r = await runCli(proxyUrl, 'ml', 'get-batch', out, '--spec', '{"coloc":1,"in":[{"objname":"x","bucket":"b1"},{"objname":"y","bucket":"b2","provider":"ais"}]}', '--streaming');
  assert.equal(r.code, 0, r.err);
  assert.ok((await readFile(out)).equals(ARCHIVE));
  assert.equal(seen.proxy[0]!.path, '/v1/ml/moss');
  assert.equal(seen.proxy[0]!.query, '?coloc=1', 'the colocation hint also rides in the query, as AIS');
  assert.equal(seen.proxy[0]!.body.strm, true);
  assert.equal(seen.proxy[0]!.body.mime, '.tar.lz4');
  assert.match(r.out, /Streamed 2 objects to .*s\.tar\.lz4 \(292\.97KiB\)/);
});

test('429 is retried with back-off, then succeeds', async () => {
  busy = 2;
  const out = join(dir, 'busy.tar');
  const r = await runCli(proxyUrl, 'ml', 'get-batch', 'ais://data', out, '--list', 'a,b');
  assert.equal(r.code, 0, r.err);
  assert.equal(seen.proxy.length, 3);
  assert.match(r.err, /retry 1\/6 in 250 ms/);
  assert.match(r.err, /retry 2\/6 in 375 ms/);
  assert.ok((await readFile(out)).equals(ARCHIVE));
});

test('429 retries are bounded, then the error is the cluster\'s', async () => {
  busy = 100;
  const delays: number[] = [];
  const dispatcher = new Agent();
  try {
    await assert.rejects(
      sendGetBatch(dispatcher, new URL(`${proxyUrl}/v1/ml/moss`), { in: [{ objname: 'a', bucket: 'b' }] }, { sleep: async (ms) => void delays.push(ms) }),
      (e: Error) => e instanceof ErrRemote && e.status === 429 && e.message === 'busy',
    );
  } finally {
    await dispatcher.close();
  }
  assert.equal(delays.length, GET_BATCH_RETRIES_MAX);
  assert.equal(seen.proxy.length, GET_BATCH_RETRIES_MAX + 1);
});

test('an error answer fails the command and creates no file', async () => {
  proxyError = { status: 404, body: { tcode: 'ErrBckNotFound', message: 'bucket "ais://nope" does not exist', status: 404 } };
  const out = join(dir, 'none.tar');
  const r = await runCli(proxyUrl, 'ml', 'get-batch', 'ais://nope', out, '--list', 'a');
  assert.equal(r.code, 1);
  assert.match(r.err, /bucket "ais:\/\/nope" does not exist/);
  assert.equal(existsSync(out), false);
});

test('a stream cut midway fails the command and removes the partial file', async () => {
  truncate = true;
  const out = join(dir, 'cut.tar');
  const r = await runCli(proxyUrl, 'ml', 'get-batch', 'ais://data', out, '--list', 'a', '--streaming');
  assert.equal(r.code, 1, r.err);
  assert.equal(existsSync(out), false);
});

test('usage errors: exit 2 before any request', async () => {
  const cases: [string[], RegExp][] = [
    [['ml', 'get-batch', 'out.tar'], /empty get-batch request/],
    [['ml', 'get-batch', 'out.bin', '--spec', '{"in":[{"objname":"a","bucket":"b"}]}'], /unknown archive extension/],
    [['ml', 'get-batch', 'out.tar', '--list', 'a'], /--list needs a BUCKET argument/],
    [['ml', 'get-batch', 'ais://b', 'out.tar', '--list', 'a', '--template', 'x{0..1}'], /mutually exclusive/],
    [['ml', 'get-batch', 'ais://b', 'out.zip', '--list', 'a', '--streaming'], /\.zip cannot be streamed/],
    [['ml', 'get-batch', 'out.tar', '--spec', '{"in":[{"objname":"a","bucket":"b","oops":1}]}'], /unknown field "oops"/],
    [['ml', 'get-batch', 'out.tar', '--spec', join(dir, 'missing.yaml')], /does not exist/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(proxyUrl, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re, args.join(' '));
  }
  assert.equal(seen.proxy.length, 0);
});
