import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listRangeOf } from '../../../cli/commands/object.ts';
import { checkEnded, isKindArg } from '../../../cli/commands/job.ts';
import { formatDuration, parseDuration } from '../../../cli/duration.ts';
import { bckUname, hasEnded } from '../../../cli/job-api.ts';
import { formatClock, jobRows, jobState, jobTotals, renderJobs } from '../../../cli/job-table.ts';
import { nextPollInterval, pollUntil, POLL_INTERVAL_MAX_MS, POLL_INTERVAL_START_MS } from '../../../cli/poll.ts';
import { formatProgress, formatProgressDone, progressEtaMs, ProgressLine, PROGRESS_PLAIN_PERIOD_MS } from '../../../cli/progress.ts';
import { ErrInvalidArgument, ErrRemote, ErrTimeout } from '../../../protocol/errors.ts';
import { ZERO_TIME, type Snap } from '../../../protocol/xact.ts';

test('durations: ms, s, m, h, compound, bare seconds; junk rejected', () => {
  assert.equal(parseDuration('10s', 't'), 10_000);
  assert.equal(parseDuration('2m', 't'), 120_000);
  assert.equal(parseDuration('500ms', 't'), 500);
  assert.equal(parseDuration('1h30m', 't'), 5_400_000);
  assert.equal(parseDuration('1.5s', 't'), 1_500);
  assert.equal(parseDuration('3', 't'), 3_000);
  assert.equal(parseDuration('0', 't'), 0);
  for (const bad of ['', 's', '10x', '10 s', '-5s', '5s junk', 'm5']) assert.throws(() => parseDuration(bad, 't'), ErrInvalidArgument, bad);
  assert.equal(formatDuration(250), '250ms');
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(3_600_000), '1h0m0s');
});

test('poll back-off starts at START, grows, never exceeds MAX', () => {
  let i = POLL_INTERVAL_START_MS;
  const seen: number[] = [];
  for (let k = 0; k < 50; k++) {
    seen.push(i);
    i = nextPollInterval(i);
  }
  assert.equal(seen[0], POLL_INTERVAL_START_MS);
  assert.ok(seen[1]! > seen[0]!);
  assert.ok(seen.every((x) => x >= POLL_INTERVAL_START_MS && x <= POLL_INTERVAL_MAX_MS));
  assert.equal(seen.at(-1), POLL_INTERVAL_MAX_MS);
  assert.equal(nextPollInterval(0), POLL_INTERVAL_START_MS);
});

test('pollUntil returns the first value; times out with a clear message (fake clock)', async () => {
  let now = 0;
  const sleeps: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
    now += ms;
  };
  let n = 0;
  assert.equal(await pollUntil(async () => (++n === 4 ? 'done' : undefined), { timeoutMs: 0, what: 'x', sleep, now: () => now }), 'done');
  assert.deepEqual(sleeps, [200, 300, 450]);
  sleeps.length = 0;
  now = 0;
  await assert.rejects(
    pollUntil(async () => undefined, { timeoutMs: 5_000, what: 'abc123', sleep, now: () => now }),
    (e: unknown) => e instanceof ErrTimeout && e.message === 'timed out waiting for abc123 after 5s',
  );
  assert.equal(sleeps.reduce((a, b) => a + b, 0), 5_000, 'the last sleep is cut at the deadline');
  assert.ok(sleeps.every((s) => s <= POLL_INTERVAL_MAX_MS));
});

function snap(over: Partial<Snap> & { objs?: number; bytes?: number; inObjs?: number; inBytes?: number }): Snap {
  return {
    id: over.id ?? 'abc',
    kind: over.kind ?? 'copy-bck',
    bck: over.bck ?? { provider: 'ais', name: 'src', namespace: { uuid: '', name: '' } },
    'start-time': over['start-time'] ?? '2026-01-02T03:04:05.000Z',
    'end-time': over['end-time'] ?? ZERO_TIME,
    'abort-err': over['abort-err'] ?? '',
    err: '',
    stats: {
      'loc-objs': String(over.objs ?? 0), 'loc-bytes': String(over.bytes ?? 0),
      'out-objs': '0', 'out-bytes': '0',
      'in-objs': String(over.inObjs ?? 0), 'in-bytes': String(over.inBytes ?? 0),
    },
    aborted: over.aborted ?? false,
    is_idle: over.is_idle ?? false,
    state: over.state ?? 'running',
  };
}

test('job state from snap fields', () => {
  assert.equal(jobState(snap({})), 'Running');
  assert.equal(jobState(snap({ 'end-time': '2026-01-02T03:04:06Z' })), 'Finished');
  assert.equal(jobState(snap({ 'end-time': '2026-01-02T03:04:06Z', aborted: true })), 'Aborted');
  assert.equal(jobState(snap({ is_idle: true })), 'Idle');
  assert.equal(jobState(snap({ state: 'paused' })), 'Paused');
  assert.equal(formatClock(ZERO_TIME), '-');
  assert.equal(formatClock('2026-01-02T03:04:05.678Z'), '03:04:05');
});

test('job table: one row per target and job, sorted by start, AIS columns', () => {
  const multi = {
    t2: [snap({ id: 'B', 'start-time': '2026-01-02T03:05:00Z', objs: 3, bytes: 3072, 'end-time': '2026-01-02T03:05:01Z' })],
    t1: [snap({ id: 'B', 'start-time': '2026-01-02T03:05:00Z', objs: 1, bytes: 10 }), snap({ id: 'A', kind: 'summary-bck', bck: { provider: '', name: '', namespace: { uuid: '', name: '' } } })],
  };
  const rows = jobRows(multi);
  assert.deepEqual(rows, [
    ['t[t1]', 'A', 'summary-bck', '-', '0', '0B', '03:04:05', '-', 'Running'],
    ['t[t1]', 'B', 'copy-bck', 'ais://src', '1', '10B', '03:05:00', '-', 'Running'],
    ['t[t2]', 'B', 'copy-bck', 'ais://src', '3', '3.00KiB', '03:05:00', '03:05:01', 'Finished'],
  ]);
  const text = renderJobs(multi);
  assert.match(text.split('\n')[0]!, /^NODE\s+ID\s+KIND\s+BUCKET\s+OBJECTS\s+BYTES\s+START\s+END\s+STATE$/);
  assert.equal(text.trim().split('\n').length, 4);
});

test('job totals sum local counters over targets (in/out are the same objects again); aborts counted', () => {
  const t = jobTotals({
    a: [snap({ objs: 2, bytes: 20, inObjs: 1, inBytes: 5 })],
    b: [snap({ objs: 4, bytes: 40, aborted: true, 'abort-err': 'boom', 'end-time': '2026-01-02T03:04:06Z' })],
  });
  assert.deepEqual(t, { objs: 6, bytes: 60, snaps: 2, ended: 1, aborted: 1, abortErr: 'boom' });
});

test('progress line: percent, counts, rate, ETA; unknown totals', () => {
  const p = { objs: 25, bytes: 25 * 1024 * 1024, totalObjs: 100, totalBytes: 100 * 1024 * 1024, elapsedMs: 5_000 };
  assert.equal(progressEtaMs(p), 15_000);
  assert.equal(formatProgress(p), '[######..................]  25%  25/100 objects  25.00MiB/100.00MiB  5.00MiB/s  ETA 15s');
  const unknown = { ...p, totalObjs: 0, totalBytes: 0 };
  assert.equal(progressEtaMs(unknown), undefined);
  assert.equal(formatProgress(unknown), '[????????????????????????]   ?%  25 objects  25.00MiB  5.00MiB/s  ETA -');
  assert.equal(progressEtaMs({ ...p, bytes: 0 }), undefined, 'no estimate before any progress');
  assert.equal(progressEtaMs({ ...p, bytes: p.totalBytes }), 0);
  // objects only (e.g. zero-byte objects)
  assert.equal(progressEtaMs({ objs: 50, bytes: 0, totalObjs: 100, totalBytes: 0, elapsedMs: 2_000 }), 2_000);
  assert.equal(formatProgressDone('copied', { ...p, objs: 100, bytes: 100 * 1024 * 1024, elapsedMs: 20_000 }), 'copied 100 objects (100.00MiB) in 20s, 5.00MiB/s');
});

test('progress line: redrawn with \\r on a tty, throttled plain lines otherwise', () => {
  const tty: string[] = [];
  const l = new ProgressLine((s) => tty.push(s), true);
  l.update('long line 1', 0);
  l.update('short', 10);
  l.done('final');
  assert.deepEqual(tty, ['\rlong line 1', '\rshort      ', '\rfinal\n']);
  const plain: string[] = [];
  const p = new ProgressLine((s) => plain.push(s), false);
  p.update('a', 0);
  p.update('b', PROGRESS_PLAIN_PERIOD_MS - 1);
  p.update('c', PROGRESS_PLAIN_PERIOD_MS);
  p.done('end');
  assert.deepEqual(plain, ['a\n', 'c\n', 'end\n']);
});

test('wait helpers: end_time as number or string; aborted is an error; kind vs id', () => {
  assert.equal(hasEnded({ end_time: 0 }), false);
  assert.equal(hasEnded({ end_time: 1_700_000_000_000_000_000 }), true);
  assert.equal(hasEnded({ end_time: '0' }), false);
  assert.equal(hasEnded({ end_time: '1700000000000000000' }), true);
  const base = { kind: 'test-fail', uuid: 'X1', err: '', end_time: 1, aborted: false, is_idle: false };
  checkEnded(base);
  assert.throws(() => checkEnded({ ...base, aborted: true, err: 'boom' }), (e: unknown) => e instanceof ErrRemote && e.message === 'test-fail[X1] aborted: boom');
  assert.throws(() => checkEnded({ ...base, err: 't1: 2 object(s) failed to copy' }), (e: unknown) => e instanceof ErrRemote && e.message === 'test-fail[X1] finished with errors: t1: 2 object(s) failed to copy');
  assert.equal(isKindArg('summary-bck'), true);
  assert.equal(isKindArg('delete-objects'), true, 'display names too');
  assert.equal(isKindArg('MgyTbYxm7'), false);
  assert.equal(bckUname({ provider: 'ais', name: 'dst' }), 'ais/@#/dst/');
});

test('rm --template / --list → delete-listrange value', () => {
  assert.equal(listRangeOf({}), undefined);
  assert.deepEqual(listRangeOf({ template: 'x-{000..099}' }), { template: 'x-{000..099}' });
  assert.deepEqual(listRangeOf({ list: 'a, b,,c' }), { objnames: ['a', 'b', 'c'] });
  assert.throws(() => listRangeOf({ template: 'x', list: 'a' }), ErrInvalidArgument);
  assert.throws(() => listRangeOf({ list: ' , ' }), ErrInvalidArgument);
});
