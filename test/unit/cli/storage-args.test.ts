// `shoal storage mountpath` arguments: `t[ID]=/path` or `ID=/path` (AIS CLI syntax), targets only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMpathArg, parseTargetArg, renderMountpaths } from '../../../cli/commands/storage.ts';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';

test('target=mountpath in both spellings', () => {
  assert.deepEqual(parseMpathArg('t[abc]=/data/mp1'), { tid: 'abc', mpath: '/data/mp1' });
  assert.deepEqual(parseMpathArg('abc=/data/mp1'), { tid: 'abc', mpath: '/data/mp1' });
  assert.equal(parseTargetArg('t[x1]'), 'x1');
  assert.equal(parseTargetArg('x1'), 'x1');
});

test('bad arguments name the expected syntax', () => {
  const bad = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => e instanceof ErrInvalidArgument && re.test(e.message));
  bad(() => parseMpathArg('/data/mp1'), /expected t\[ID\]=\/path/);
  bad(() => parseMpathArg('t[abc]='), /expected t\[ID\]=\/path/);
  bad(() => parseMpathArg('p[abc]=/x'), /is a proxy: only targets have mountpaths/);
  bad(() => parseTargetArg('t[abc'), /expected t\[ID\] or ID/);
});

test('the table lists each mountpath with its state', () => {
  const out = renderMountpaths([['t1', { available: ['/a'], waiting_dd: ['/b'], disabled: null }]]);
  assert.match(out, /^TARGET\s+MOUNTPATH\s+STATUS\n/);
  assert.match(out, /t\[t1\]\s+\/a\s+available/);
  assert.match(out, /t\[t1\]\s+\/b\s+waiting-dd/);
});
