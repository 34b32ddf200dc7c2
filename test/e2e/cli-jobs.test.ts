// `shoal job ...`, `bucket summary`, `rm --template`, `bucket cp` as a child process against a real
// local cluster (1 proxy, 3 targets).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cliRunner } from '../support/cli-run.ts';
import { putObjects } from '../support/cluster-helpers.ts';
import { createBucket, startObjCluster, type ObjCluster } from '../support/obj-helpers.ts';

const SRC = 'cli-jobs-src';
const DST = 'cli-jobs-dst';
const NAMES = Array.from({ length: 40 }, (_, i) => `x-${String(i).padStart(3, '0')}`);
/** A bound for every CLI wait in this file, so a stuck job fails the test instead of hanging it. */
const WAIT = '60s';

let c: ObjCluster;

const { shoal, ok } = cliRunner(() => c.proxyUrl);

function lsNames(out: string): string[] {
  return out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]!);
}

before(async () => {
  c = await startObjCluster({ targets: 3, testJobs: true });
  await createBucket(c.proxyUrl, SRC);
  await putObjects(c.proxyUrl, SRC, NAMES);
});

after(async () => {
  await c?.close();
});

test('job start of an unknown kind fails with the server message', async () => {
  const r = await shoal('job', 'start', 'no-such-kind');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: .*unknown xaction kind "no-such-kind"/);
});

test('job wait of an unknown id fails with the 404 message', async () => {
  const r = await shoal('job', 'wait', 'NoSuchId1', '--timeout', '5s');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: .*NoSuchId1.*not found/);
});

test('job wait rejects a malformed --timeout as a usage error', async () => {
  const r = await shoal('job', 'wait', 'whatever', '--timeout', '10 parsecs');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid --timeout/);
});

test('a job that fails: job start --wait exits 1 with its abort error', async () => {
  const r = await shoal('job', 'start', 'test-fail', '--wait', '--timeout', WAIT);
  assert.equal(r.code, 1, r.stderr);
  const xid = r.stdout.trim();
  assert.match(xid, /^\S{9}$/);
  assert.match(r.stderr, new RegExp(`^Error: test-fail\\[${xid.replace(/[-]/g, '\\-')}\\] aborted: .+`));
});

test('bucket summary prints the object count and size', async () => {
  const out = await ok('bucket', 'summary', `ais://${SRC}`, '--timeout', WAIT);
  const [header, row] = out.trim().split('\n');
  assert.match(header!, /^NAME\s+OBJECTS\s+SIZE$/);
  assert.match(row!, new RegExp(`^ais://${SRC}\\s+${NAMES.length}\\s+\\d+B$`));
});

test('rm --template starts delete-listrange; job wait; job show --all lists the jobs', async () => {
  await createBucket(c.proxyUrl, 'cli-jobs-rm');
  await putObjects(c.proxyUrl, 'cli-jobs-rm', NAMES);
  const out = await ok('rm', 'ais://cli-jobs-rm', '--template', 'x-{000..009}');
  const m = /job (\S+)$/m.exec(out);
  assert.ok(m, out);
  const xid = m[1]!;
  assert.match(await ok('job', 'wait', xid, '--timeout', WAIT), /finished/);
  const left = lsNames(await ok('ls', 'ais://cli-jobs-rm'));
  assert.deepEqual(left, NAMES.slice(10));
  await ok('rm', 'ais://cli-jobs-rm', '--list', 'x-010,x-011', '--wait', '--timeout', WAIT);
  assert.deepEqual(lsNames(await ok('ls', 'ais://cli-jobs-rm')), NAMES.slice(12));
  // waiting on a kind with nothing running returns at once
  assert.match(await ok('job', 'wait', 'delete-listrange', '--timeout', WAIT), /no jobs running/);

  const all = await ok('job', 'show', '--all');
  const lines = all.trim().split('\n');
  assert.match(lines[0]!, /^NODE\s+ID\s+KIND\s+BUCKET\s+OBJECTS\s+BYTES\s+START\s+END\s+STATE$/);
  const rows = lines.filter((l) => l.includes(` ${xid} `));
  assert.equal(rows.length, 3, all); // one per target
  for (const r of rows) assert.match(r, /delete-listrange\s+ais:\/\/cli-jobs-rm\s+\d+\s+\S+\s+\d\d:\d\d:\d\d\s+\d\d:\d\d:\d\d\s+Finished$/);
  assert.ok(lines.some((l) => /summary-bck/.test(l)), 'the summary job is listed too');
  assert.ok(lines.some((l) => /test-fail.*Aborted$/.test(l)), 'the failed job shows as Aborted');
  // the AIS spelling, filtered by kind
  const byKind = await ok('show', 'job', 'delete-listrange', '--all');
  assert.ok(byKind.trim().split('\n').slice(1).every((l) => l.includes('delete-listrange')), byKind);
  // nothing is running now
  assert.match(await ok('job', 'show'), /No running jobs/);
});

/** copy-bck is another engineer's part of the server: probe the route before relying on it. */
async function copyBckAvailable(): Promise<boolean> {
  const res = await fetch(`${c.proxyUrl}/v1/buckets/${SRC}?bck_to=${encodeURIComponent(`ais/@#/${DST}-probe/`)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'copy-bck', value: { prefix: 'nothing-matches/', dry_run: true } }),
  });
  await res.text();
  return res.status === 200;
}

test('bucket cp copies SRC to DST with progress; ls of DST equals SRC', async (t) => {
  if (!(await copyBckAvailable())) {
    t.skip('copy-bck not available yet');
    return;
  }
  const r = await shoal('bucket', 'cp', `ais://${SRC}`, `ais://${DST}`, '--timeout', WAIT);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Copying ais://${SRC} => ais://${DST}: job \\S+`));
  assert.match(r.stderr, new RegExp(`copied ${NAMES.length} objects \\(\\d+B\\) in `));
  assert.deepEqual(lsNames(await ok('ls', `ais://${DST}`)), lsNames(await ok('ls', `ais://${SRC}`)));
  const self = await shoal('bucket', 'cp', `ais://${SRC}`, `ais://${SRC}`);
  assert.equal(self.code, 2);
  assert.match(self.stderr, /onto itself/);
  // a dry run with a prefix counts what it would copy and copies nothing
  const dry = await shoal('bucket', 'cp', `ais://${SRC}`, `ais://${DST}-dry`, '--dry-run', '--prefix', 'x-00', '--timeout', WAIT);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /dry run: would copy 10 objects \(\d+B\)/);
  const dryLs = await shoal('ls', `ais://${DST}-dry`);
  assert.ok(dryLs.code !== 0 || lsNames(dryLs.stdout).length === 0 || /No objects/.test(dryLs.stdout), dryLs.stdout);
  // --no-progress: nothing on stderr, the job line on stdout
  const quiet = await shoal('bucket', 'cp', `ais://${SRC}`, `ais://${DST}-quiet`, '--no-progress', '--timeout', WAIT);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
  assert.deepEqual(lsNames(await ok('ls', `ais://${DST}-quiet`)), NAMES);
  const missing = await shoal('bucket', 'cp', 'ais://no-such-src', `ais://${DST}-x`, '--timeout', WAIT);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error: .*no-such-src/);
});

test('job wait --until started, a wait that times out with a clear error, then job stop', async () => {
  const xid = (await ok('job', 'start', 'test-sleep')).trim().split(/\s+/).pop()!;
  assert.match(xid, /^[A-Za-z0-9_-]{9}$/, `job id from: ${xid}`);
  await ok('job', 'wait', xid, '--until', 'started', '--timeout', WAIT);
  const timedOut = await shoal('job', 'wait', xid, '--timeout', '1s');
  assert.equal(timedOut.code, 1, timedOut.stderr);
  assert.match(timedOut.stderr, new RegExp(`timed out waiting for ${xid} after 1s`));
  const bad = await shoal('job', 'wait', xid, '--until', 'forever');
  assert.equal(bad.code, 2, bad.stderr);
  await ok('job', 'stop', xid);
  const stopped = await shoal('job', 'wait', xid, '--timeout', WAIT);
  assert.equal(stopped.code, 1, 'a stopped job reports aborted');
  assert.match(stopped.stderr, /aborted/);
});
