// close() stops the pool threads (each one exits), and a process that used the pool and closed it
// exits by itself, also when started with flags the threads must not inherit (-e --input-type).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRealWorkers, CKSUM_OFFLOAD_BYTES_MIN } from '../../../runtime/env/real/workers.ts';

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

test('after close() the process exits on its own', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
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
