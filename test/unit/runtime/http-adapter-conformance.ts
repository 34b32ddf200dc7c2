// Behaviours every HTTP server adapter must share (node:http and uWS run the same cases).
// Not a test file itself: http-node-adapter.test.ts and http-uws-adapter.test.ts call it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, test } from 'node:test';
import type { HttpHandler, HttpRequest, HttpResponse, HttpServerOptions } from '../../../runtime/http/types.ts';
import type { Listener } from '../../../runtime/env/types.ts';
import { closeHttpClient, httpRequest } from '../../../runtime/env/real/http-client.ts';

export type ServeFn = (host: string, port: number, handler: HttpHandler, opts: HttpServerOptions) => Promise<Listener>;

export interface AdapterCaps {
  /** The adapter answers HTTP/1.0 and malformed requests (uWS hangs on them). */
  answersBadRequests: boolean;
  /** Oversized headers get a 431 (uWS just closes). */
  answers431: boolean;
}

export const TEST_SERVER_OPTS: HttpServerOptions = {
  requestTimeoutMs: 0,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 16 * 1024,
};

/** Deterministic pseudo-random bytes (the content of the streamed bodies). */
export function patternBytes(n: number, seed = 7): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

/** Sends raw bytes on a fresh TCP connection and collects everything until the server closes it. */
function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    sock.write(data);
  });
}

/** Streams `chunks` chunks of `chunkSize` bytes from the pattern (not one big buffer). */
function patternStream(total: number, chunkSize: number): Readable {
  const all = patternBytes(total);
  let at = 0;
  return new Readable({
    read() {
      if (at >= total) {
        this.push(null);
        return;
      }
      const end = Math.min(total, at + chunkSize);
      this.push(all.subarray(at, end));
      at = end;
    },
  });
}

export function adapterConformance(name: string, serve: ServeFn, caps: AdapterCaps): void {
  let handler: HttpHandler = async () => ({ status: 500 });
  let listener: Listener;
  let base: string;
  let port: number;

  const started = (async () => {
    listener = await serve('127.0.0.1', 0, (req) => handler(req), TEST_SERVER_OPTS);
    port = listener.port;
    base = `http://127.0.0.1:${port}`;
  })();

  after(async () => {
    await started;
    await closeHttpClient();
    await listener.close();
  });

  test(`${name}: listens on a free port and reports it`, async () => {
    await started;
    assert.ok(port > 0);
  });

  test(`${name}: GET passes method, raw path, query, lower-case headers and remote address`, async () => {
    await started;
    let seen: HttpRequest | undefined;
    handler = async (req) => {
      seen = req;
      return { status: 200, headers: { 'content-type': 'text/plain', 'x-shoal-test': 'yes' }, body: 'hello' };
    };
    const r = await httpRequest({ method: 'GET', url: `${base}/v1/objects/b%20k/o%2Fx?provider=ais&x=a%20b`, headers: { 'X-Mixed-Case': 'V' } });
    const text = (await readAll(r.body)).toString();
    assert.equal(r.status, 200);
    assert.equal(text, 'hello');
    assert.equal(r.headers['x-shoal-test'], 'yes');
    assert.ok(seen !== undefined);
    assert.equal(seen.method, 'GET');
    assert.equal(seen.rawPath, '/v1/objects/b%20k/o%2Fx');
    assert.equal(seen.query.get('provider'), 'ais');
    assert.equal(seen.query.get('x'), 'a b');
    assert.equal(seen.headers['x-mixed-case'], 'V');
    assert.equal(seen.remoteAddr, '127.0.0.1');
  });

  test(`${name}: method is upper-cased and HEAD gets headers without a body`, async () => {
    await started;
    const methods: string[] = [];
    handler = async (req) => {
      methods.push(req.method);
      return { status: 200, headers: { 'content-length': '5', 'x-m': req.method }, body: req.method === 'HEAD' ? undefined : 'abcde' };
    };
    const head = await httpRequest({ method: 'HEAD', url: `${base}/h` });
    const headBody = await readAll(head.body);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '5');
    assert.equal(headBody.byteLength, 0);
    const del = await httpRequest({ method: 'delete', url: `${base}/h` });
    await readAll(del.body);
    assert.deepEqual(methods, ['HEAD', 'DELETE']);
  });

  test(`${name}: PUT body streams in, GET body streams out, byte-exact`, async () => {
    await started;
    const size = 8 * 1024 * 1024 + 3;
    const expected = sha256(patternBytes(size));
    handler = async (req): Promise<HttpResponse> => {
      if (req.method === 'PUT') {
        // A handler that starts reading late: the body piles up and the adapter must pause the socket.
        if (req.query.get('lazy') === '1') await new Promise((resolve) => setTimeout(resolve, 50));
        const hash = createHash('sha256');
        let n = 0;
        await pipeline(req.body, new Writable({
          write(chunk: Buffer, _enc, cb) {
            n += chunk.length;
            hash.update(chunk);
            setImmediate(cb); // a consumer slower than the network: the adapter must apply backpressure
          },
        }));
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n, sha: hash.digest('hex') }) };
      }
      const sized = req.query.get('sized') === '1';
      const headers: Record<string, string> = sized ? { 'content-length': String(size) } : {};
      return {
        status: 200,
        headers,
        body: patternStream(size, 64 * 1024),
      };
    };
    for (const lazy of ['0', '1']) {
      const put = await httpRequest({ method: 'PUT', url: `${base}/put?lazy=${lazy}`, body: patternStream(size, 100_000), headers: { 'content-length': String(size) } });
      const putResult = JSON.parse((await readAll(put.body)).toString()) as { n: number; sha: string };
      assert.equal(put.status, 200);
      assert.deepEqual(putResult, { n: size, sha: expected });
    }

    for (const sized of ['0', '1']) {
      const get = await httpRequest({ method: 'GET', url: `${base}/get?sized=${sized}` });
      const got = await readAll(get.body);
      assert.equal(get.status, 200);
      assert.equal(got.length, size);
      assert.equal(sha256(got), expected);
    }
  });

  test(`${name}: a redirect reaches the client as is (the HTTP client follows none)`, async () => {
    await started;
    handler = async () => ({ status: 307, headers: { location: `${base}/elsewhere` } });
    const r = await httpRequest({ method: 'GET', url: `${base}/v1/objects/b/o` });
    await readAll(r.body);
    assert.equal(r.status, 307);
    assert.equal(r.headers['location'], `${base}/elsewhere`);
  });

  test(`${name}: a handler that throws gets a 500 with an AIS JSON body`, async () => {
    await started;
    handler = async () => {
      throw new Error('boom');
    };
    const r = await httpRequest({ method: 'GET', url: `${base}/x` });
    const body = JSON.parse((await readAll(r.body)).toString()) as Record<string, unknown>;
    assert.equal(r.status, 500);
    assert.deepEqual(body, { tcode: 'ErrInternal', message: 'boom', status: 500 });
  });

  test(`${name}: a response source that fails mid-body truncates the response`, async () => {
    await started;
    handler = async () => {
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= 256 * 1024) {
            this.destroy(new Error('disk read failed'));
            return;
          }
          sent += 64 * 1024;
          this.push(Buffer.alloc(64 * 1024, 1));
        },
      });
      return { status: 200, headers: { 'content-length': String(1024 * 1024) }, body };
    };
    const r = await httpRequest({ method: 'GET', url: `${base}/fail` });
    assert.equal(r.status, 200);
    await assert.rejects(readAll(r.body));
  });

  test(`${name}: a client that disconnects mid-body makes the request body stream fail`, async () => {
    await started;
    const outcome = deferred<string>();
    const bodyStarted = deferred<void>();
    handler = async (req) => {
      let n = 0;
      try {
        await pipeline(req.body, new Writable({
          write(chunk: Buffer, _enc, cb) {
            n += chunk.length;
            bodyStarted.resolve();
            cb();
          },
        }));
        outcome.resolve(`completed after ${n} bytes`);
      } catch (err) {
        outcome.resolve(`failed: ${(err as Error).message}`);
      }
      return { status: 200 };
    };
    const sock = net.connect(port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(`PUT /abort HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
    sock.write(Buffer.alloc(64 * 1024, 2));
    await bodyStarted.promise;
    sock.destroy();
    const result = await outcome.promise;
    assert.match(result, /^failed: /);
  });

  test(`${name}: oversized request headers are refused`, async () => {
    await started;
    handler = async () => ({ status: 200, body: 'should not run' });
    const big = 'a'.repeat(TEST_SERVER_OPTS.maxHeaderSize * 2);
    const answer = await rawExchange(port, `GET /big HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\nConnection: close\r\n\r\n`);
    if (caps.answers431) assert.match(answer, /^HTTP\/1\.1 431 /);
    else assert.doesNotMatch(answer, /should not run/);
  });

  if (caps.answersBadRequests) {
    test(`${name}: an HTTP/1.0 request is answered`, async () => {
      await started;
      handler = async () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'old client' });
      const answer = await rawExchange(port, 'GET /old HTTP/1.0\r\n\r\n');
      assert.match(answer, /^HTTP\/1\.[01] 200 /);
      assert.ok(answer.endsWith('old client'));
    });

    test(`${name}: a malformed request gets a 400 and the server keeps serving`, async () => {
      await started;
      handler = async () => ({ status: 200, body: 'fine' });
      const answer = await rawExchange(port, 'THIS IS NOT HTTP\r\n\r\n');
      assert.match(answer, /^HTTP\/1\.1 400 /);
      const r = await httpRequest({ method: 'GET', url: `${base}/after` });
      assert.equal((await readAll(r.body)).toString(), 'fine');
    });
  }
}
