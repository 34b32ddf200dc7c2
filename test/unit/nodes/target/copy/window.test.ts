import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Window } from '../../../../../nodes/target/copy/window.ts';

test('Window: at most `size` holders; a release admits the first waiter', async () => {
  const w = new Window(2);
  await w.acquire();
  await w.acquire();
  const order: number[] = [];
  const a = w.acquire().then(() => order.push(1));
  const b = w.acquire().then(() => order.push(2));
  await Promise.resolve();
  assert.deepEqual(order, []);
  w.release();
  await a;
  assert.deepEqual(order, [1]);
  w.release();
  await b;
  assert.deepEqual(order, [1, 2]);
  w.release();
  w.release();
  await w.acquire();
  await w.acquire(); // both free again
});
