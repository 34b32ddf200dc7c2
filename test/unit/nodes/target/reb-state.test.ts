import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RebState } from '../../../../nodes/target/reb/state.ts';
import { testEnv } from './storage-fixture.ts';

test('the rebalance marker says whether a restart interrupted a rebalance', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-reb-'));
  try {
    const env = testEnv();
    const a = new RebState(env, dir);
    assert.equal(await a.load(), false, 'no marker: nothing was interrupted');
    assert.equal(a.active, false);
    await a.started(5);
    assert.equal(a.active, true);
    a.received({ provider: 'ais', name: 'b' }, 'o1');
    a.received({ provider: 'ais', name: 'b' }, 'o1');
    assert.deepEqual(a.takeReceived(), [{ bck: { provider: 'ais', name: 'b' }, name: 'o1' }]);
    assert.equal(await new RebState(env, dir).load(), true, 'started, not completed: interrupted');
    assert.equal(await a.completed(4), false, 'an older rebalance does not complete the current one');
    assert.equal(await a.completed(5), true);
    assert.equal(a.active, false);
    assert.equal(await new RebState(env, dir).load(), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
