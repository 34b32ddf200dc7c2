// WebSocket upgrades on the node:http adapter (the inspection UI's live feed): an accepted path gets a
// MsgSocket both ways, a refused one a 404, plain requests are unaffected, and close() does not wait
// for upgraded sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { serveHttpNode } from '../../../../../runtime/env/real/http-node.ts';
import type { MsgSocket } from '../../../../../runtime/env/types.ts';

const OPTS = { requestTimeoutMs: 0, keepAliveTimeoutMs: 1_000, maxHeaderSize: 16 * 1024 };

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

test('an accepted upgrade path gets a MsgSocket; other paths 404; HTTP still served; close is prompt', async () => {
  const server: MsgSocket[] = [];
  const listener = await serveHttpNode('127.0.0.1', 0, async () => ({ status: 200, body: 'plain' }), {
    ...OPTS,
    upgrade: (rawPath) => (rawPath === '/feed' ? (sock) => {
      server.push(sock);
      sock.onMessage((frame) => sock.send(Buffer.concat([Buffer.from('echo:'), frame])));
      sock.send(Buffer.from('hello'));
    } : undefined),
  });
  const base = `127.0.0.1:${listener.port}`;
  try {
    const res = await fetch(`http://${base}/anything`);
    assert.equal(await res.text(), 'plain');

    const ws = new WebSocket(`ws://${base}/feed?x=1`);
    const frames: string[] = [];
    ws.on('message', (d: Buffer) => frames.push(d.toString()));
    await opened(ws);
    ws.send('ping');
    while (frames.length < 2) await new Promise((r) => ws.once('message', r));
    assert.deepEqual(frames, ['hello', 'echo:ping']);
    assert.equal(server.length, 1);

    const refused = new WebSocket(`ws://${base}/other`);
    const status = await new Promise<number>((resolve, reject) => {
      refused.once('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0));
      refused.once('open', () => reject(new Error('upgrade on /other was accepted')));
      refused.once('error', () => {});
    });
    assert.equal(status, 404);

    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await listener.close(); // would hang on the open socket if it were not terminated
    await closed;
  } finally {
    await listener.close();
  }
});
