// `--op get-batch` options: the per-case bytes bound and the memory check switch, their defaults,
// bounds, and refusal with other ops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgError, GB_CASE_BYTES_MAX, parseArgs } from '../../../bench/args.ts';

test('--op get-batch defaults: 2 GiB per case, memory check on', () => {
  assert.deepEqual(parseArgs(['--op', 'get-batch']).gb, { caseBytes: 2 * 1024 ** 3, memCheck: true });
});

test('--gb-case-bytes and --gb-mem are taken', () => {
  assert.deepEqual(parseArgs(['--op', 'get-batch', '--gb-case-bytes', '64MiB', '--gb-mem', 'off']).gb, { caseBytes: 64 * 1024 ** 2, memCheck: false });
});

test('get-batch flags are refused with another op, out of bounds, and when malformed', () => {
  const argErr = (re: RegExp) => (e: unknown) => e instanceof ArgError && re.test(e.message);
  assert.throws(() => parseArgs(['--op', 'get', '--gb-mem', 'off']), argErr(/apply to --op get-batch only/));
  assert.throws(() => parseArgs(['--op', 'put', '--gb-case-bytes', '1GiB']), argErr(/apply to --op get-batch only/));
  assert.throws(() => parseArgs(['--op', 'get-batch', '--gb-case-bytes', `${GB_CASE_BYTES_MAX + 1}`]), argErr(/between 1MiB and 16GiB/));
  assert.throws(() => parseArgs(['--op', 'get-batch', '--gb-case-bytes', '1KiB']), argErr(/between 1MiB and 16GiB/));
  assert.throws(() => parseArgs(['--op', 'get-batch', '--gb-case-bytes', 'lots']), argErr(/bad size "lots"/));
  assert.throws(() => parseArgs(['--op', 'get-batch', '--gb-mem', 'yes']), argErr(/--gb-mem must be one of on\|off, got "yes"/));
});

test('other ops carry no gb options', () => {
  assert.equal(parseArgs(['--op', 'get']).gb, undefined);
});
