// The node's V8 heap flags are written in four places that cannot import one another: the constant,
// the systemd unit's ExecStart, and the shebangs of the node and CLI launchers. They must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heapFlagsMissing, NODE_HEAP_FLAGS } from '../../../nodes/heap-flags.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (p: string) => readFile(resolve(REPO_ROOT, p), 'utf8');

test('heapFlagsMissing names exactly the flags a command line lacks', () => {
  assert.deepEqual(heapFlagsMissing([...NODE_HEAP_FLAGS, '--import', 'tsx']), []);
  assert.deepEqual(heapFlagsMissing(['--import', 'tsx']), [...NODE_HEAP_FLAGS]);
  assert.deepEqual(heapFlagsMissing(['--initial-old-space-size=128']), [...NODE_HEAP_FLAGS], 'another value is not the flag');
});

test('the systemd unit starts node with the heap flags, before the script', async () => {
  const exec = (await read('deploy/systemd/shoal-node@.service')).split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(exec !== undefined, 'ExecStart line');
  const argv = exec.slice('ExecStart='.length).split(/\s+/);
  const script = argv.indexOf('/opt/shoal/nodes/bin.js');
  assert.ok(script > 0, exec);
  assert.deepEqual(heapFlagsMissing(argv.slice(0, script)), [], exec);
});

for (const launcher of ['nodes/bin.js', 'cli/bin.js']) {
  test(`${launcher}'s shebang passes the heap flags (env -S)`, async () => {
    const first = (await read(launcher)).split('\n')[0]!;
    assert.match(first, /^#!\/usr\/bin\/env -S node /);
    assert.deepEqual(heapFlagsMissing(first.split(/\s+/)), [], first);
  });
}

test('npm run bench runs the load client with the heap flags (GETs and GetBatch alike)', async () => {
  const pkg = JSON.parse(await read('package.json')) as { scripts: Record<string, string> };
  assert.deepEqual(heapFlagsMissing(pkg.scripts['bench']!.split(/\s+/)), [], pkg.scripts['bench']);
});
