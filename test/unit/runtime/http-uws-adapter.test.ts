// uWS adapter: the shared conformance cases that apply to uWS (it never answers HTTP/1.0 or
// malformed requests), plus its fallback to node:http.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { loadUws, serveHttpUws } from '../../../runtime/env/real/http-uws.ts';
import { httpRequest } from '../../../runtime/env/real/http-client.ts';
import { TEST_SERVER_OPTS, adapterConformance, readAll } from './http-adapter-conformance.ts';

const uws = await loadUws();
const warnings: string[] = [];

if (typeof uws === 'string') {
  test('uWS adapter conformance', (t) => t.skip(`uWS cannot load here: ${uws}`));
} else {
  adapterConformance('uWS', (host, port, handler, opts) => serveHttpUws(host, port, handler, opts, (m) => warnings.push(m)), {
    answersBadRequests: false,
    answers431: true,
  });
  test('uWS: no fallback warning when uWS loads', () => {
    assert.deepEqual(warnings, []);
  });
}

test('uWS adapter falls back to node:http with a warning when uWS is unavailable', async () => {
  const saved = process.env['UWS_USE_FALLBACK'];
  process.env['UWS_USE_FALLBACK'] = '1';
  const seen: string[] = [];
  try {
    const listener = await serveHttpUws('127.0.0.1', 0, async (req) => ({ status: 200, body: `fallback ${req.method}` }), TEST_SERVER_OPTS, (m) => seen.push(m));
    try {
      const r = await httpRequest({ method: 'GET', url: `http://127.0.0.1:${listener.port}/` });
      assert.equal((await readAll(r.body as Readable)).toString(), 'fallback GET');
      // node:http answers HTTP/1.0, which uWS never does: proof that the fallback is node:http.
      assert.equal(r.status, 200);
    } finally {
      await listener.close();
    }
  } finally {
    if (saved === undefined) delete process.env['UWS_USE_FALLBACK'];
    else process.env['UWS_USE_FALLBACK'] = saved;
  }
  assert.equal(seen.length, 1);
  assert.match(seen[0] ?? '', /falling back to node:http/);
});
