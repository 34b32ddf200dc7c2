import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgError, defaultObjects, parseArgs, parseDuration, parseSize } from '../../../bench/args.ts';
import { splitConcurrency } from '../../../bench/load.ts';

test('sizes: IEC, SI and plain bytes', () => {
  assert.equal(parseSize('4KiB'), 4096);
  assert.equal(parseSize('1MiB'), 1024 * 1024);
  assert.equal(parseSize('64mib'), 64 * 1024 * 1024);
  assert.equal(parseSize('1GiB'), 1024 ** 3);
  assert.equal(parseSize('1MB'), 1_000_000);
  assert.equal(parseSize('100B'), 100);
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize('0'), 0);
  assert.equal(parseSize('1.5KiB'), 1536);
  for (const bad of ['', 'KiB', '4XB', '-1', '1.3B', '4 Ki B']) assert.throws(() => parseSize(bad), ArgError, bad);
});

test('durations', () => {
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  for (const bad of ['', '10', 's', '10x', '10s5', '-1s']) assert.throws(() => parseDuration(bad), ArgError, bad);
});

test('defaults', () => {
  const a = parseArgs([]);
  assert.equal(a.op, 'get');
  assert.equal(a.sizeBytes, 4096);
  assert.equal(a.concurrency, 16);
  assert.equal(a.workers, 4);
  assert.equal(a.durationMs, 10_000);
  assert.equal(a.objects, 1000);
  assert.equal(a.baseline, 'all');
  assert.equal(a.endpoint, undefined);
  assert.equal(parseArgs(['--op', 'rss']).sizeBytes, 64 * 1024 ** 2);
  assert.equal(parseArgs(['--op', 'list']).objects, 100_000);
  assert.equal(defaultObjects('get', 1024 ** 2), 200);
});

test('full option set, both spellings', () => {
  const a = parseArgs([
    '--op', 'put', '--size=1MiB', '--concurrency', '32', '--duration', '5s', '--workers', '2',
    '--objects', '50', '--baseline', 'node', '--endpoint', 'http://127.0.0.1:8080', '--json', '/tmp/x.json', '--bucket', 'b1',
    '--fsync', 'on',
  ]);
  assert.deepEqual(a, {
    op: 'put', sizeBytes: 1024 ** 2, concurrency: 32, durationMs: 5000, workers: 2, objects: 50,
    baseline: 'node', endpoint: 'http://127.0.0.1:8080', json: '/tmp/x.json', bucket: 'b1', fsync: true,
  });
});

test('workers never exceed concurrency', () => {
  assert.equal(parseArgs(['--concurrency', '2', '--workers', '8']).workers, 2);
});

test('bad arguments are rejected with the reason', () => {
  const cases: [string[], RegExp][] = [
    [['--op', 'delete'], /--op must be one of/],
    [['--concurrency', '0'], /--concurrency/],
    [['--concurrency', '1.5'], /--concurrency/],
    [['--concurrency', '100000'], /--concurrency/],
    [['--workers', '0'], /--workers/],
    [['--duration', '10'], /bad duration/],
    [['--duration', '10ms'], /--duration must be between/],
    [['--size', '2GiB'], /at most 1GiB/],
    [['--baseline', 'apache'], /--baseline/],
    [['--endpoint', 'http://10.0.0.1:80'], /loopback/],
    [['--endpoint', 'not a url'], /not a URL/],
    [['--bucket', 'a/b'], /bucket/],
    [['--nope', '1'], /unknown option/],
    [['--op'], /needs a value/],
    [['get'], /unexpected argument/],
    [['--op', 'get', '--op', 'put'], /twice/],
  ];
  for (const [argv, re] of cases) assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof ArgError && re.test(e.message), argv.join(' '));
});

test('concurrency is split evenly over workers', () => {
  assert.deepEqual(splitConcurrency(16, 4), [4, 4, 4, 4]);
  assert.deepEqual(splitConcurrency(10, 4), [3, 3, 2, 2]);
  assert.deepEqual(splitConcurrency(2, 4), [1, 1]);
  for (let c = 1; c <= 40; c++) for (let w = 1; w <= 8; w++) assert.equal(splitConcurrency(c, w).reduce((a, b) => a + b, 0), c);
});
