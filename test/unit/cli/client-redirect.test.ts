// The client against a fake proxy and target on loopback: 307 flows, 100-continue, errors, paging.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AisClient } from '../../../cli/client.ts';
import { ErrNotReady, ErrRemote } from '../../../protocol/errors.ts';

const BIN = fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
const run = promisify(execFile);

interface Seen {
  proxyPutBytes: number;
  proxyPuts: number;
  lists: unknown[];
}

const objects = new Map<string, Buffer>();
const seen: Seen = { proxyPutBytes: 0, proxyPuts: 0, lists: [] };
let proxy: http.Server;
let target: http.Server;
let proxyUrl = '';

function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function aisError(res: http.ServerResponse, status: number, message: string, head: boolean): void {
  const body = JSON.stringify({ tcode: 'ErrObjNotFound', message, status });
  if (head) res.writeHead(status, { 'hdr-error': body }).end();
  else res.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

before(async () => {
  target = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    assert.ok(url.searchParams.has('pid'), 'redirected requests carry pid');
    const key = url.pathname;
    if (req.method === 'PUT') {
      objects.set(key, await readAll(req));
      res.writeHead(200).end();
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      const data = objects.get(key);
      if (data === undefined) return aisError(res, 404, `object "${key}" does not exist`, req.method === 'HEAD');
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range && range[2] !== '' ? Number(range[2]) + 1 : data.length;
      const slice = data.subarray(start, end);
      res.writeHead(range ? 206 : 200, { 'content-length': String(slice.length), 'ais-version': '1', 'ais-custom-md': ['k=v', 'x=y'] });
      res.end(req.method === 'HEAD' ? undefined : slice);
    } else if (req.method === 'DELETE') {
      if (!objects.delete(key)) return aisError(res, 404, `object "${key}" does not exist`, false);
      res.writeHead(200).end();
    }
  });
  proxy = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/v1/objects/')) {
      const location = `http://127.0.0.1:${(target.address() as AddressInfo).port}${url.pathname}?pid=p1&utm=1`;
      res.writeHead(307, { location }).end();
      return;
    }
    if (url.pathname === '/v1/buckets/b' && req.method === 'GET') {
      const msg = JSON.parse((await readAll(req)).toString()) as { action: string; value: { continuation_token?: string } };
      seen.lists.push(msg);
      const page1 = msg.value.continuation_token === '' || msg.value.continuation_token === undefined;
      const body = page1
        ? { uuid: 'u1', continuation_token: 'pre/b', entries: [{ name: 'pre/a', size: '2048', flags: 0 }, { name: 'pre/b', size: '1', flags: 0 }], flags: 0 }
        : { uuid: 'u1', continuation_token: '', entries: [{ name: 'pre/dir', flags: 256 }], flags: 0 };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ tcode: 'ErrBckNotFound', message: 'bucket "ais://nope" does not exist', status: 404 }));
  });
  // The proxy answers 307 before any body byte: it never sends 100 Continue, and counts what it got.
  proxy.on('checkContinue', (req, res) => {
    seen.proxyPuts++;
    req.on('data', (c: Buffer) => (seen.proxyPutBytes += c.length));
    proxy.emit('request', req, res);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  proxy.closeAllConnections();
  target.closeAllConnections();
  await new Promise((r) => proxy.close(r));
  await new Promise((r) => target.close(r));
});

test('PUT goes to the target after a 307, with no body bytes sent to the proxy', async () => {
  const client = new AisClient(proxyUrl);
  try {
    const data = Buffer.alloc(256 * 1024, 7);
    data.write('head');
    const obj = { bck: { name: 'b', provider: 'ais' }, objName: 'dir/o 1' };
    await client.putObject(obj, { size: data.length, open: () => Readable.from([data.subarray(0, 1000), data.subarray(1000)]) });
    assert.equal(seen.proxyPuts, 1);
    assert.equal(seen.proxyPutBytes, 0);
    assert.deepEqual(objects.get('/v1/objects/b/dir/o%201'), data);

    const reader = await client.getObject(obj, { range: 'bytes=0-3' });
    const chunks: Buffer[] = [];
    for await (const c of reader.body) chunks.push(c as Buffer);
    assert.equal(reader.status, 206);
    assert.equal(Buffer.concat(chunks).toString(), 'head');

    const props = await client.headObject(obj);
    assert.equal(props.size, data.length);
    assert.deepEqual(props.custom, { k: 'v', x: 'y' });

    await client.deleteObject(obj);
    assert.equal(objects.size, 0);
  } finally {
    await client.close();
  }
});

test('errors: AIS JSON body, Hdr-Error on HEAD, connection refused names the endpoint', async () => {
  const client = new AisClient(proxyUrl);
  try {
    const missing = { bck: { name: 'b', provider: 'ais' }, objName: 'missing' };
    await assert.rejects(client.headObject(missing), (e: unknown) => e instanceof ErrRemote && e.status === 404 && /does not exist/.test(e.message));
    await assert.rejects(client.deleteObject(missing), (e: unknown) => e instanceof ErrRemote && e.tcode === 'ErrObjNotFound');
    await assert.rejects(client.listBuckets(), (e: unknown) => e instanceof ErrRemote && e.message === 'bucket "ais://nope" does not exist');
  } finally {
    await client.close();
  }
  // A port that was just free: nothing listens on it.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const dead = new AisClient(`http://127.0.0.1:${port}`);
  try {
    await assert.rejects(dead.listBuckets(), (e: unknown) => e instanceof ErrNotReady && e.message.includes(`127.0.0.1:${port}`));
  } finally {
    await dead.close();
  }
});

test('shoal ls loops on continuation_token and sends flags as a decimal string', async () => {
  seen.lists.length = 0;
  const { stdout } = await run(process.execPath, [BIN, 'ls', 'ais://b/pre', '--nr', '--page-size', '2'], { env: { ...process.env, AIS_ENDPOINT: proxyUrl } });
  assert.equal(stdout, 'NAME      SIZE\npre/a     2.00KiB\npre/b     1B\npre/dir/\n');
  assert.equal(seen.lists.length, 2);
  assert.deepEqual(seen.lists[0], { action: 'list', value: { props: 'name,size', prefix: 'pre', pagesize: 2, flags: '2048', continuation_token: '' } });
  assert.deepEqual(seen.lists[1], { action: 'list', value: { props: 'name,size', prefix: 'pre', pagesize: 2, flags: '2048', continuation_token: 'pre/b', uuid: 'u1' } });
});

test('shoal exits 1 with the server message on stderr, 2 on usage errors', async () => {
  const env = { ...process.env, AIS_ENDPOINT: proxyUrl };
  await assert.rejects(run(process.execPath, [BIN, 'ls', 'ais://nope'], { env }), (e: { code?: number; stderr?: string }) => {
    assert.equal(e.code, 1);
    assert.equal(e.stderr, 'Error: bucket "ais://nope" does not exist\n');
    return true;
  });
  await assert.rejects(run(process.execPath, [BIN, 'get'], { env }), (e: { code?: number }) => e.code === 2);
  await assert.rejects(run(process.execPath, [BIN, 'bucket', 'props', 'set', 'b', 'nokey'], { env }), (e: { code?: number; stderr?: string }) => e.code === 2 && /odd number/.test(e.stderr ?? ''));
});
