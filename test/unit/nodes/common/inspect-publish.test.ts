// A node's inspector on the fake Env: its snapshot carries the supervisor tree and jobs; after an
// `inspect.sub` it pushes batched events (with the jobs they touched) to the subscriber until the
// lease lapses; a subscription without a URL is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InspectBus, Supervisor, rootContext } from '../../../../runtime/actor/index.ts';
import type { MsgEndpoint, RequestHandler } from '../../../../runtime/transport/types.ts';
import { JobRegistry } from '../../../../actors/xact/registry.ts';
import { ZERO_COUNTERS } from '../../../../protocol/xact.ts';
import { ErrInvalidArgument } from '../../../../protocol/errors.ts';
import { INSPECT_SUB_LEASE_MS, NodeInspector } from '../../../../nodes/common/inspect.ts';
import { INSPECT_BATCH_INTERVAL_MS } from '../../../../nodes/common/inspect-batcher.ts';
import { InspectMsg, type InspectBatch, type NodeInspectSnapshot } from '../../../../nodes/common/inspect-types.ts';
import { fakeEnv, flush } from '../../../support/fake-env.ts';

function fakeCtrl() {
  const handlers = new Map<string, RequestHandler>();
  const sent: { url: string; kind: string; body: InspectBatch }[] = [];
  const ctrl = {
    handle: (kind: string, h: RequestHandler) => void handlers.set(kind, h),
    notify: (url: string, kind: string, body: unknown) => void sent.push({ url, kind, body: body as InspectBatch }),
  } as unknown as MsgEndpoint;
  return { ctrl, handlers, sent };
}

async function setup() {
  const env = fakeEnv({ nodeId: 't1' });
  const bus = new InspectBus();
  const root = new Supervisor(rootContext(env, 't1', bus), {
    strategy: 'one-for-one',
    intensity: { restartsMax: 3, windowMs: 1_000 },
    backoff: { initialMs: 10, maxMs: 100 },
  });
  const jobs = new JobRegistry(env);
  await root.startChild({
    id: 'jobs',
    restart: 'permanent',
    start: async (ctx) => {
      const sup = new Supervisor(ctx, { strategy: 'one-for-one', intensity: { restartsMax: 3, windowMs: 1_000 }, backoff: { initialMs: 10, maxMs: 100 } });
      jobs.attach(sup);
      return sup;
    },
  });
  const { ctrl, handlers, sent } = fakeCtrl();
  const inspector = new NodeInspector({ env, nodeId: 't1', role: 'target', bus, root, jobs, ctrl });
  inspector.register();
  return { env, root, jobs, inspector, handlers, sent };
}

test('subscribed proxies get batched events and job snapshots until the lease lapses', async () => {
  const { env, root, jobs, inspector, handlers, sent } = await setup();
  const snap = (await handlers.get(InspectMsg.snap)!({}, 'p1')) as NodeInspectSnapshot;
  assert.equal(snap.node, 't1');
  assert.deepEqual(snap.tree.children?.map((c) => c.id), ['jobs']);
  assert.deepEqual(snap.jobs, []);

  await assert.rejects(handlers.get(InspectMsg.sub)!({}, 'p1'), ErrInvalidArgument);
  await handlers.get(InspectMsg.sub)!({ url: 'http://p1:9' }, 'p1');
  await jobs.start({ id: 'x1', kind: 'summary-bck', work: async () => ({ counters: { ...ZERO_COUNTERS, locObjs: 3 } }) });
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(sent.length, 0, 'batched: nothing before the interval');
  await env.advance(INSPECT_BATCH_INTERVAL_MS);
  assert.equal(sent.length, 1, 'one batch for all the events of the interval');
  const batch = sent[0]!;
  assert.equal(batch.url, 'http://p1:9');
  assert.equal(batch.kind, InspectMsg.ev);
  const jobPath = 't1/root/jobs/summary-bck-x1';
  const values = batch.body.events.filter((e) => e.path === jobPath && e.channel === 'actor.transition').map((e) => (e as { value: unknown }).value);
  assert.deepEqual(values.slice(0, 2), ['pending', 'running']);
  assert.equal(values.at(-1), 'finished');
  assert.deepEqual(batch.body.jobs?.map((j) => [j.id, j.state, j.path, j.stats['loc-objs']]), [['x1', 'finished', jobPath, '3']]);
  assert.equal(inspector.snapshot().transitions.some((t) => t.path === jobPath), true);

  // no renewal: the lease lapses and events stop flowing
  await env.advance(2 * INSPECT_SUB_LEASE_MS);
  const before = sent.length;
  await jobs.start({ id: 'x2', kind: 'summary-bck', work: async () => ({ counters: ZERO_COUNTERS }) });
  await env.advance(INSPECT_BATCH_INTERVAL_MS * 2);
  assert.equal(sent.length, before);
  inspector.close();
  await root.stop();
});
