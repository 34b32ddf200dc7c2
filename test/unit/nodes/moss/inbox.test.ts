// The DT's inbox: pieces arrive in any order across items and are taken per item; a message is
// acknowledged only once all its pieces were consumed (the sender's credit); a silent sender is
// given up on after the idle time; failing the inbox releases everyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Inbox } from '../../../../nodes/target/moss/inbox.ts';
import type { MossPiece } from '../../../../protocol/moss.ts';
import { fakeEnv, flush } from '../../../support/fake-env.ts';

const piece = (i: number, off = 0, end = true, data = `d${i}`): MossPiece => ({ i, off, size: data.length, end, mtimeMs: 1, data: Buffer.from(data) });

test('out-of-order arrivals are taken in item order; the ack waits for consumption', async () => {
  const env = fakeEnv();
  const inbox = new Inbox(env.timers, env.clock);
  let acked1 = false;
  const ack1 = inbox.put('t2', [piece(3), piece(1)]).then(() => (acked1 = true));
  const ack2 = inbox.put('t2', [piece(0)]);
  assert.equal(inbox.bytes, 6);
  const p0 = (await inbox.next(0, 't2', 1000))!;
  assert.equal(Buffer.from(p0.data).toString(), 'd0');
  p0.consumed();
  await ack2;
  const p1 = (await inbox.next(1, 't2', 1000))!;
  p1.consumed();
  await flush();
  assert.equal(acked1, false, 'item 3 of the same message is not consumed yet');
  const p3 = (await inbox.next(3, 't2', 1000))!;
  p3.consumed();
  p3.consumed(); // idempotent
  await ack1;
  assert.equal(inbox.bytes, 0);
});

test('a reader waiting for an item wakes when it arrives', async () => {
  const env = fakeEnv();
  const inbox = new Inbox(env.timers, env.clock);
  const waiting = inbox.next(2, 't2', 5000);
  await env.advance(100);
  void inbox.put('t2', [piece(2, 0, false, 'ab')]);
  const p = (await waiting)!;
  assert.equal(p.end, false);
});

test('a silent sender: undefined after the idle time since it was last heard of', async () => {
  const env = fakeEnv();
  const inbox = new Inbox(env.timers, env.clock);
  inbox.touch('t2');
  let got: unknown = 'pending';
  void inbox.next(0, 't2', 1000).then((p) => (got = p));
  await env.advance(999);
  assert.equal(got, 'pending');
  await env.advance(1);
  assert.equal(got, undefined);
});

test('fail: readers throw, senders with unacknowledged messages get the error, later messages refused', async () => {
  const env = fakeEnv();
  const inbox = new Inbox(env.timers, env.clock);
  const ack = inbox.put('t2', [piece(5)]);
  const reader = inbox.next(0, 't2', 60_000);
  inbox.fail(new Error('work item ended'));
  await assert.rejects(reader, /work item ended/);
  await assert.rejects(ack, /work item ended/); // the sender learns it and stops
  await assert.rejects(inbox.put('t2', [piece(6)]), /work item ended/);
  assert.equal(inbox.bytes, 0);
});

test('dropFrom: what a silent sender left is released', async () => {
  const env = fakeEnv();
  const inbox = new Inbox(env.timers, env.clock);
  const ack = inbox.put('t2', [piece(4), piece(7)]);
  const other = inbox.put('t3', [piece(5)]);
  inbox.dropFrom('t2');
  await ack;
  assert.equal(inbox.bytes, 2);
  (await inbox.next(5, 't3', 10))!.consumed();
  await other;
});
