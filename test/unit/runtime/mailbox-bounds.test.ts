import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrInvalidArgument, ErrMailboxFull, ErrNotReady } from '../../../protocol/errors.ts';
import { MAILBOX_LENGTH_MAX, Mailbox } from '../../../runtime/actor/mailbox.ts';

function recorder(lengthMax?: number) {
  const handled: number[] = [];
  const errors: unknown[] = [];
  const mailbox = new Mailbox<number>({
    path: 'n1/root/x',
    lengthMax,
    handle: (n) => void handled.push(n),
    onError: (err) => void errors.push(err),
  });
  return { mailbox, handled, errors };
}

test('the default bound is MAILBOX_LENGTH_MAX; one more push is refused with 429', async () => {
  const { mailbox, handled } = recorder();
  for (let i = 0; i < MAILBOX_LENGTH_MAX; i++) mailbox.push(i);
  assert.equal(mailbox.length, MAILBOX_LENGTH_MAX);
  const err = (() => {
    try {
      mailbox.push(-1);
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof ErrMailboxFull);
  assert.equal(err.status, 429);
  assert.equal(err.tcode, 'ErrMailboxFull');
  await mailbox.idle();
  assert.equal(handled.length, MAILBOX_LENGTH_MAX);
  assert.deepEqual(handled.slice(0, 3), [0, 1, 2]);
  assert.equal(handled.at(-1), MAILBOX_LENGTH_MAX - 1);
});

test('FIFO order and room again once drained', async () => {
  const { mailbox, handled } = recorder(3);
  mailbox.push(1);
  mailbox.push(2);
  mailbox.push(3);
  assert.throws(() => mailbox.push(4), ErrMailboxFull);
  assert.deepEqual(handled, [], 'never handled inside push()');
  await mailbox.idle();
  mailbox.push(4);
  await mailbox.idle();
  assert.deepEqual(handled, [1, 2, 3, 4]);
});

test('async handlers run one at a time', async () => {
  let inFlight = 0;
  let inFlightMax = 0;
  const order: number[] = [];
  const mailbox = new Mailbox<number>({
    path: 'p',
    handle: async (n) => {
      inFlight++;
      inFlightMax = Math.max(inFlightMax, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(n);
      inFlight--;
    },
    onError: () => assert.fail('no error expected'),
  });
  for (let i = 0; i < 5; i++) mailbox.push(i);
  await mailbox.idle();
  assert.equal(inFlightMax, 1);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

test('a throwing handler is reported and the next message still runs', async () => {
  const handled: number[] = [];
  const errors: unknown[] = [];
  const mailbox = new Mailbox<number>({
    path: 'p',
    handle: (n) => {
      if (n === 2) throw new Error('two');
      handled.push(n);
    },
    onError: (err) => void errors.push(err),
  });
  [1, 2, 3].forEach((n) => mailbox.push(n));
  await mailbox.idle();
  assert.deepEqual(handled, [1, 3]);
  assert.equal(errors.length, 1);
});

test('close() drops the queue and refuses further pushes with 503', async () => {
  const { mailbox, handled } = recorder(10);
  mailbox.push(1);
  mailbox.push(2);
  assert.equal(mailbox.close(), 2);
  await mailbox.idle();
  assert.deepEqual(handled, []);
  assert.throws(() => mailbox.push(3), ErrNotReady);
});

test('FIFO order holds across queue compaction', async () => {
  const { mailbox, handled } = recorder(5_000);
  let next = 0;
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 5_000; i++) mailbox.push(next++);
    await mailbox.idle();
  }
  assert.equal(handled.length, 50_000);
  assert.ok(handled.every((n, i) => n === i));
});

test('a bad bound is rejected in the constructor', () => {
  assert.throws(() => recorder(0), ErrInvalidArgument);
  assert.throws(() => recorder(1.5), ErrInvalidArgument);
});
