import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgError, parseArgs, REB_BYTES_MAX } from '../../../bench/args.ts';
import { sumRebSnaps, type RebSnapView } from '../../../bench/reb-api.ts';
import { procStatCpuSec, procStatusBytes } from '../../../bench/reb-rss.ts';
import { childCpuSec } from '../../../bench/rebalance.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

test('rebalance: defaults', () => {
  const a = parseArgs(['--op', 'rebalance']);
  assert.equal(a.sizeBytes, MiB);
  assert.equal(a.concurrency, 8);
  assert.deepEqual(a.reb, {
    bytes: 2 * GiB,
    objects: 2048,
    smallObjects: 20_000,
    smallSizeBytes: 16 * 1024,
    getSizeBytes: 64 * 1024,
    trigger: 'decommission',
  });
  // --objects is the GET load's object count: defaults from the GET object size (200 MiB, at most 1000)
  assert.equal(a.objects, 1000);
  assert.equal(parseArgs(['--op', 'rebalance', '--reb-get-size', '1MiB']).objects, 200);
});

test('rebalance: every flag, both spellings', () => {
  const a = parseArgs([
    '--op', 'rebalance', '--reb-bytes=5GiB', '--size', '4MiB', '--reb-small-objects', '0', '--reb-small-size=4KiB',
    '--reb-get-size', '4KiB', '--reb-trigger', 'join', '--concurrency', '16', '--duration', '5s', '--objects', '300',
  ]);
  assert.equal(a.sizeBytes, 4 * MiB);
  assert.equal(a.objects, 300);
  assert.equal(a.concurrency, 16);
  assert.equal(a.durationMs, 5000);
  assert.deepEqual(a.reb, { bytes: 5 * GiB, objects: 1280, smallObjects: 0, smallSizeBytes: 4096, getSizeBytes: 4096, trigger: 'join' });
});

test('rebalance: objects are whole objects of --size within --reb-bytes', () => {
  assert.equal(parseArgs(['--op', 'rebalance', '--reb-bytes', '10MiB', '--size', '3MiB']).reb!.objects, 3);
  assert.equal(parseArgs(['--op', 'rebalance', '--reb-bytes', '1MiB', '--size', '1MiB']).reb!.objects, 1);
});

test('other ops carry no rebalance settings', () => {
  assert.equal('reb' in parseArgs(['--op', 'get']), false);
  assert.equal('reb' in parseArgs(['--op', 'copy']), false);
});

test('rebalance: bad arguments are rejected with the reason', () => {
  const cases: [string[], RegExp][] = [
    [['--op', 'get', '--reb-bytes', '1GiB'], /--reb-bytes applies to --op rebalance only/],
    [['--op', 'copy', '--reb-trigger', 'join'], /--reb-trigger applies to --op rebalance only/],
    [['--op', 'rebalance', '--endpoint', 'http://127.0.0.1:8080'], /--endpoint is not supported/],
    [['--op', 'rebalance', '--reb-bytes', 'lots'], /bad size "lots"/],
    [['--op', 'rebalance', '--reb-bytes', '512KiB'], /--reb-bytes must be between 1048576 B/],
    [['--op', 'rebalance', '--reb-bytes', `${REB_BYTES_MAX + 1}`], /--reb-bytes must be between/],
    [['--op', 'rebalance', '--size', '0'], /at least 1 B/],
    [['--op', 'rebalance', '--reb-small-objects', '-1'], /--reb-small-objects must be an integer/],
    [['--op', 'rebalance', '--reb-small-objects', '2000000'], /--reb-small-objects must be an integer in \[0, 1000000\]/],
    [['--op', 'rebalance', '--reb-small-size', '0'], /--reb-small-size must be between 1 B/],
    [['--op', 'rebalance', '--reb-small-size', '65MiB'], /--reb-small-size must be between/],
    [['--op', 'rebalance', '--reb-get-size', '0'], /--reb-get-size must be between 1 B/],
    [['--op', 'rebalance', '--reb-trigger', 'kill'], /--reb-trigger must be one of decommission\|join/],
    [['--op', 'rebalance', '--reb-bytes', '1GiB', '--reb-bytes', '2GiB'], /twice/],
    [['--op', 'rebalance', '--reb-bytes'], /needs a value/],
  ];
  for (const [argv, re] of cases) assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof ArgError && re.test(e.message), argv.join(' '));
});

test('rebalance counters are summed over targets for one id', () => {
  const snap = (id: string, out: number, outB: number, inn: number, inB: number, extra: Partial<RebSnapView> = {}): RebSnapView => ({
    id,
    state: 'finished',
    stats: { 'loc-objs': '10', 'out-objs': String(out), 'out-bytes': String(outB), 'in-objs': String(inn), 'in-bytes': String(inB) },
    ...extra,
  });
  const t = sumRebSnaps(
    {
      t1: [snap('g1', 99, 99, 99, 99), snap('g2', 3, 300, 0, 0)],
      t2: [snap('g2', 2, 200, 1, 100, { err: '1 object(s) could not be moved' })],
      t3: [snap('g2', 0, 0, 4, 400, { state: 'running' })],
      t4: [snap('g1', 5, 5, 5, 5)],
    },
    'g2',
  );
  assert.deepEqual(t, {
    targets: 3,
    locObjs: 30,
    outObjs: 5,
    outBytes: 500,
    inObjs: 5,
    inBytes: 500,
    errors: ['t2: 1 object(s) could not be moved'],
    states: { t1: 'finished', t2: 'finished', t3: 'running' },
  });
  const aborted = sumRebSnaps({ t1: [{ id: 'g3', aborted: true, 'abort-err': 'newer Smap', stats: {} }] }, 'g3');
  assert.deepEqual(aborted.errors, ['t1: newer Smap']);
  assert.equal(aborted.states.t1, 'aborted');
  assert.equal(aborted.outBytes, 0);
});

test('/proc status fields in bytes', () => {
  const status = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
  assert.equal(procStatusBytes(status, 'VmHWM'), 200 * MiB);
  assert.equal(procStatusBytes(status, 'VmRSS'), 100 * MiB);
  assert.equal(procStatusBytes('Name:\tx\n', 'VmRSS'), undefined);
});

test('/proc stat CPU time and bash `times` of children', () => {
  // fields 14/15 (utime, stime) in clock ticks; a process name may hold spaces and parentheses
  const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 11 0 12345 1000 100';
  assert.equal(procStatCpuSec(stat), 3.25);
  assert.equal(procStatCpuSec('4242 (node) S 1'), undefined);
  assert.equal(childCpuSec('0m0.010s 0m0.002s\n0m0.120s 1m2.500s\n'), 62.62);
  assert.equal(childCpuSec('0m0.010s 0m0.002s\n'), undefined);
  assert.equal(childCpuSec(''), undefined);
});
