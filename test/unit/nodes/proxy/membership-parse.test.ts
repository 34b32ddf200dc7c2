import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isMemberAction, parseRmNode } from '../../../../nodes/proxy/membership.ts';
import { ErrInvalidArgument } from '../../../../protocol/errors.ts';

test('ActValRmNode: sid or sids, booleans, defaults', () => {
  assert.deepEqual(parseRmNode({ sid: 't1' }), { sids: ['t1'], skipRebalance: false, rmUserData: false, noShutdown: false });
  assert.deepEqual(parseRmNode({ sids: ['t1', 't2'], skip_rebalance: true, rm_user_data: true, no_shutdown: true }), {
    sids: ['t1', 't2'], skipRebalance: true, rmUserData: true, noShutdown: true,
  });
});

test('ActValRmNode: bad input is a 400 with the reason', () => {
  assert.throws(() => parseRmNode(undefined), (e) => e instanceof ErrInvalidArgument && /"sid"/.test(e.message));
  assert.throws(() => parseRmNode({}), /missing node id \("sid"\)/);
  assert.throws(() => parseRmNode({ sid: '' }), /missing node id/);
  assert.throws(() => parseRmNode({ sids: [''] }), /"sids" must be non-empty strings/);
  assert.throws(() => parseRmNode({ sid: 't1', skip_rebalance: 'yes' }), /"skip_rebalance" must be a boolean/);
  assert.throws(() => parseRmNode([]), /expected value/);
});

test('membership actions are the four AIS node actions', () => {
  for (const a of ['start-maintenance', 'stop-maintenance', 'shutdown-node', 'decommission-node']) assert.equal(isMemberAction(a), true);
  for (const a of ['start', 'stop', 'decommission', 'shutdown', '']) assert.equal(isMemberAction(a), false);
});
