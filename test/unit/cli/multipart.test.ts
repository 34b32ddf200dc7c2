// The streaming multipart/mixed reader of a non-streaming GetBatch answer: boundaries split across
// chunks, exact archive bytes, and every malformed or truncated answer refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import { ErrMultipart, multipartBoundary, partName, readMossMultipart } from '../../../cli/multipart.ts';

const BOUNDARY = 'b0undary-x';
const CT = `multipart/mixed; boundary=${BOUNDARY}`;

function body(meta: string, archive: Buffer, opts: { preamble?: string; close?: boolean; names?: [string, string] } = {}): Buffer {
  const [m, a] = opts.names ?? ['metadata', 'archive'];
  return Buffer.concat([
    Buffer.from(`${opts.preamble ?? ''}--${BOUNDARY}\r\nContent-Disposition: form-data; name="${m}"\r\nContent-Type: application/json\r\n\r\n${meta}\r\n`),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${a}"; filename="get-batch[x]"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    archive,
    Buffer.from(opts.close === false ? '' : `\r\n--${BOUNDARY}--\r\n`),
  ]);
}

function chunked(b: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

/** The reader does not end the sink: the caller ends it and waits for the last writes. */
function collector(): { sink: Writable; bytes: () => Promise<Buffer> } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      setImmediate(cb); // slow sink: exercises the drain path
    },
  });
  const bytes = async (): Promise<Buffer> => {
    await new Promise<void>((resolve) => sink.end(resolve));
    return Buffer.concat(parts);
  };
  return { sink, bytes };
}

test('boundary and part names from headers', () => {
  assert.equal(multipartBoundary('multipart/mixed; boundary=abc'), 'abc');
  assert.equal(multipartBoundary('Multipart/Mixed;boundary="a b"'), 'a b');
  assert.throws(() => multipartBoundary('application/x-tar'), ErrMultipart);
  assert.throws(() => multipartBoundary('multipart/mixed'), /without a valid boundary/);
  assert.equal(partName('form-data; name="archive"; filename="x"'), 'archive');
  assert.equal(partName('form-data; name=metadata'), 'metadata');
  assert.equal(partName('form-data; filename="x"'), '');
});

test('metadata parsed, archive bytes exact, for every chunk size (delimiters split anywhere)', async () => {
  const meta = { uuid: 'u1', out: [{ objname: 'a', bucket: 'b', provider: 'ais', size: 3 }] };
  // An archive that contains near-misses of the delimiter.
  const archive = Buffer.concat([randomBytes(700), Buffer.from(`\r\n--${BOUNDARY.slice(0, 5)}\r\n--`), randomBytes(300)]);
  const whole = body(JSON.stringify(meta), archive);
  for (const size of [1, 2, 3, 7, 13, 64, 1000, whole.length]) {
    const { sink, bytes } = collector();
    const r = await readMossMultipart(chunked(whole, size), CT, sink);
    assert.deepEqual(r.meta, meta, `chunk ${size}`);
    assert.equal(r.archiveBytes, archive.length);
    assert.ok((await bytes()).equals(archive), `archive bytes, chunk ${size}`);
  }
});

test('a preamble before the first boundary and an empty archive part are fine', async () => {
  const { sink, bytes } = collector();
  const r = await readMossMultipart(chunked(body('{"uuid":"x","out":[]}', Buffer.alloc(0), { preamble: 'ignored preamble\r\n' }), 5), CT, sink);
  assert.deepEqual(r.meta, { uuid: 'x', out: [] });
  assert.equal((await bytes()).length, 0);
});

test('a truncated answer is an error, never a short archive', async () => {
  const whole = body('{"uuid":"x","out":[]}', randomBytes(5000));
  for (const cut of [10, 60, 200, whole.length - 30, whole.length - 3]) {
    await assert.rejects(readMossMultipart(chunked(whole.subarray(0, cut), 100), CT, new PassThrough().resume()), (e: Error) => e instanceof ErrMultipart && /truncated/.test(e.message), `cut at ${cut}`);
  }
  await assert.rejects(readMossMultipart(chunked(body('{}', Buffer.from('x'), { close: false }), 100), CT, new PassThrough().resume()), /no closing boundary/);
});

test('parts out of order, unknown, or bad JSON are errors', async () => {
  const sink = (): Writable => new PassThrough().resume();
  await assert.rejects(readMossMultipart(chunked(body('{}', Buffer.from('x'), { names: ['archive', 'metadata'] }), 50), CT, sink()), /expected part "metadata", got "archive"/);
  await assert.rejects(readMossMultipart(chunked(body('{}', Buffer.from('x'), { names: ['metadata', 'other'] }), 50), CT, sink()), /expected part "archive", got "other"/);
  await assert.rejects(readMossMultipart(chunked(body('{not json', Buffer.from('x')), 50), CT, sink()), /metadata part is not JSON/);
  await assert.rejects(readMossMultipart(chunked(Buffer.from('no boundary at all'), 50), CT, sink()), /truncated multipart answer/);
  await assert.rejects(readMossMultipart(chunked(Buffer.from(`--${BOUNDARY}\r\n${'x'.repeat(20_000)}`), 1000), CT, sink()), /part headers longer/);
});
