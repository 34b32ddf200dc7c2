import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InspectBus, type Published } from '../../../runtime/actor/bus.ts';
import { captureLogger } from '../../support/fake-env.ts';

const started = (path: string, atMs: number) => ({ path, atMs, restarts: 0 });

test('subscribers get their channel only; unsubscribe stops delivery', () => {
  const bus = new InspectBus();
  const got: Published[] = [];
  const off = bus.subscribe('actor.started', (e) => got.push(e));
  bus.publish('actor.started', started('a', 1));
  bus.publish('actor.exited', { path: 'a', atMs: 2, restarts: 0 });
  off();
  bus.publish('actor.started', started('a', 3));
  assert.deepEqual(got, [{ path: 'a', atMs: 1, restarts: 0, channel: 'actor.started', seq: 1 }]);
});

test('history is a bounded ring per path; replay hands it to late subscribers in order', () => {
  const bus = new InspectBus({ historyLengthMax: 3 });
  for (let i = 0; i < 5; i++) bus.publish('actor.started', started('a', i));
  bus.publish('actor.started', started('b', 100));
  assert.deepEqual(bus.history('a').map((e) => e.atMs), [2, 3, 4]);
  const replayed: number[] = [];
  bus.subscribe('actor.started', (e) => replayed.push(e.atMs), { replay: true });
  assert.deepEqual(replayed, [2, 3, 4, 100]);
});

test('the number of remembered paths is bounded, least recently active forgotten first', () => {
  const bus = new InspectBus({ pathsMax: 2 });
  bus.publish('actor.started', started('a', 1));
  bus.publish('actor.started', started('b', 2));
  bus.publish('actor.started', started('a', 3));
  bus.publish('actor.started', started('c', 4));
  assert.deepEqual(bus.paths(), ['a', 'c']);
});

test('a throwing subscriber is logged and does not stop the others', () => {
  const log = captureLogger();
  const bus = new InspectBus({ log });
  const got: string[] = [];
  bus.subscribe('actor.started', () => {
    throw new Error('bad');
  });
  bus.subscribe('actor.started', (e) => got.push(e.path));
  bus.publish('actor.started', started('a', 1));
  assert.deepEqual(got, ['a']);
  assert.equal(log.lines[0]?.level, 'warn');
});
