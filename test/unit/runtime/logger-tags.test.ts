import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import { createLogger } from '../../../runtime/env/real/logger.ts';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-logger-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function lines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('every line carries node; child loggers add (and re-bind) the actor path', () =>
  withTmp(async (dir) => {
    const file = join(dir, 'sub', 'node.log'); // parent dir created on demand
    const log = createLogger({ nodeId: 't[abc]', destination: file });
    log.info('node up');
    const metasync = log.child({ actor: 'root/metasync' });
    metasync.info({ version: 7 }, 'smap synced');
    metasync.child({ actor: 'root/metasync/peer' }).warn('peer slow');
    log.debug('filtered out at the default level');
    await log.flush();
    const got = await lines(file);
    assert.deepEqual(got.map((l) => [l.node, l.actor, l.msg]), [
      ['t[abc]', undefined, 'node up'],
      ['t[abc]', 'root/metasync', 'smap synced'],
      ['t[abc]', 'root/metasync/peer', 'peer slow'],
    ]);
    assert.equal(got[1]?.version, 7);
    const raw = await readFile(file, 'utf8');
    assert.equal(raw.split('\n')[2]?.match(/"actor"/g)?.length, 1, 'a re-bound key appears once');
  }));

test('level option filters; an unknown level is rejected with the fix', () =>
  withTmp(async (dir) => {
    const file = join(dir, 'node.log');
    const log = createLogger({ nodeId: 'p1', level: 'debug', destination: file });
    log.debug('kept');
    await log.flush();
    assert.deepEqual((await lines(file)).map((l) => l.msg), ['kept']);
    assert.throws(() => createLogger({ nodeId: 'p1', level: 'verbose' }), ErrInvalidArgument);
  }));

test('buffered lines reach the file when the process exits right after logging', () =>
  withTmp(async (dir) => {
    const file = join(dir, 'node.log');
    const script = join(dir, 'exit.ts');
    const loggerPath = resolve(import.meta.dirname, '../../../runtime/env/real/logger.ts');
    await writeFile(
      script,
      `import { createLogger } from ${JSON.stringify(loggerPath)};
       const log = createLogger({ nodeId: 't1', destination: ${JSON.stringify(file)} }).child({ actor: 'root' });
       for (let i = 0; i < 5000; i++) log.info({ i }, 'line');
       process.exit(0);`,
    );
    await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: resolve(import.meta.dirname, '../../..') });
    const got = await lines(file);
    assert.equal(got.length, 5000);
    assert.deepEqual([got[4999]?.i, got[4999]?.actor, got[4999]?.node], [4999, 'root', 't1']);
  }));
