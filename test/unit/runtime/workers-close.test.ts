// close() stops the pool threads (each one exits), and a process that used the pool and closed it
// exits by itself, also when started with flags the threads must not inherit (-e --input-type, heap sizing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRealWorkers, CKSUM_OFFLOAD_BYTES_MIN, workerExecArgv } from '../../../runtime/env/real/workers.ts';

/** Far above the ~1 s the child needs; only guards the test run against a hang. */
const CHILD_EXIT_WAIT_MS = 60_000;
const WORKERS_MODULE = fileURLToPath(new URL('../../../runtime/env/real/workers.ts', import.meta.url));

const CHILD = `
import { createRealWorkers, CKSUM_OFFLOAD_BYTES_MIN } from ${JSON.stringify(WORKERS_MODULE)};
const w = createRealWorkers();
await w.cksum('md5', new Uint8Array(CKSUM_OFFLOAD_BYTES_MIN));
await w.compress('gzip', new Uint8Array(4 * CKSUM_OFFLOAD_BYTES_MIN));
console.log('threads', w.threadIds.length);
await w.close();
`;

// The second case is how nodes start (nodes/heap-flags.ts): a Worker given a heap sizing flag would
// not start ("invalid execArgv flags"), so the pool must leave those out.
for (const flags of [[], ['--initial-old-space-size=256', '--max-semi-space-size=32']]) {
  test(`after close() the process exits on its own (node flags: ${flags.join(' ') || 'none'})`, async () => {
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), CHILD_EXIT_WAIT_MS);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(guard);
    assert.equal(signal, null, `child did not exit by itself (threads still running?) stderr: ${err}`);
    assert.equal(code, 0, err);
    assert.match(out, /threads [12]/);
  });
}

test('workerExecArgv keeps the loader, drops main-script-only and heap sizing flags', () => {
  assert.deepEqual(
    workerExecArgv(['--initial-old-space-size=256', '--import', 'tsx', '--max-old-space-size=512', '--input-type=module', '--test', '--max-heap-size=64', '--enable-source-maps']),
    ['--import', 'tsx', '--enable-source-maps'],
  );
});

test('close() ends every pool thread', async () => {
  const w = createRealWorkers();
  await Promise.all([w.cksum('md5', new Uint8Array(CKSUM_OFFLOAD_BYTES_MIN)), w.cksum('sha256', new Uint8Array(CKSUM_OFFLOAD_BYTES_MIN))]);
  const threads = w.threads;
  assert.ok(threads.length > 0);
  const exited = threads.map((t) => new Promise<void>((resolve) => t.once('exit', () => resolve())));
  let guard: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => (guard = setTimeout(() => resolve('hang'), CHILD_EXIT_WAIT_MS)));
  await w.close();
  const outcome = await Promise.race([Promise.all(exited).then(() => 'exited' as const), hang]);
  clearTimeout(guard);
  assert.equal(outcome, 'exited');
  assert.deepEqual(w.threadIds, []);
});
