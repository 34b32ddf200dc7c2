// Bash-style templates (protocol/template.ts), as AIS cos.ParseBashTemplate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandTemplate, parseBashTemplate, templateCount } from '../../../../protocol/template.ts';

test('one range keeps the zero padding of its start', () => {
  const t = parseBashTemplate('shard-{000..003}.tar');
  assert.deepEqual([...expandTemplate(t)], ['shard-000.tar', 'shard-001.tar', 'shard-002.tar', 'shard-003.tar']);
  assert.equal(templateCount(parseBashTemplate('shard-{000..999}.tar')), 1000);
});

test('a step and several ranges (the last varies fastest)', () => {
  assert.deepEqual([...expandTemplate(parseBashTemplate('x{0..10..5}'))], ['x0', 'x5', 'x10']);
  const t = parseBashTemplate('a{1..2}b{0..1}c');
  assert.deepEqual([...expandTemplate(t)], ['a1b0c', 'a1b1c', 'a2b0c', 'a2b1c']);
  assert.equal(templateCount(t), 4);
});

test('malformed templates are refused with 400', () => {
  for (const bad of ['plain', 'a{3..1}', 'a{1..2..0}', 'a{1..2}{', 'a{x..2}']) {
    assert.throws(() => parseBashTemplate(bad), (e: Error & { status?: number }) => e.status === 400, bad);
  }
});
