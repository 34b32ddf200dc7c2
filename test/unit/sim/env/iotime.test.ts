import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk } from '../../../../sim/env/disk.ts';
import { SimDevices, SimNodeDisk, type SimIoModel } from '../../../../sim/env/iotime.ts';
import { Scheduler } from '../../../../sim/env/scheduler.ts';

const MODEL: SimIoModel = { diskOpMsMin: 0.1, diskOpMsMax: 0.1, diskBytesPerMs: 1000, netBytesPerMs: Infinity };

function setup(alive: () => boolean = () => true): { sched: Scheduler; raw: SimDisk; disk: SimNodeDisk } {
  const sched = new Scheduler();
  const raw = new SimDisk({ nowMs: () => sched.nowMs });
  const devices = new SimDevices(sched, 'n1', MODEL, 1);
  devices.setRoots(['/mp1', '/mp2/']);
  return { sched, raw, disk: new SimNodeDisk(raw, devices, alive) };
}

/** Runs the scheduler (and the continuations of each event) until `p` settles; the virtual ms it settled at. */
async function settle<T>(sched: Scheduler, p: Promise<T>): Promise<{ value: T; atMs: number }> {
  let done = false;
  let atMs = -1;
  const q = p.finally(() => {
    done = true;
    atMs = sched.nowMs;
  });
  await new Promise((r) => setImmediate(r));
  while (!done && sched.step()) await new Promise((r) => setImmediate(r));
  return { value: await q, atMs };
}

test('a disk op takes its latency plus bytes / bandwidth; ops on one device queue, devices run in parallel', async () => {
  const { sched, raw, disk } = setup();
  await raw.mkdir('/mp1');
  await raw.mkdir('/mp2');
  await raw.mkdir('/conf');
  const data = new Uint8Array(500); // 0.5 ms at 1000 B/ms
  const at: Record<string, number> = {};
  const mark = (k: string) => () => void (at[k] = sched.nowMs);
  // an atomic write is two device ops: the data (0.1 + 0.5 ms), then fsync + rename (0.1 ms), each
  // queued when issued: a's data, b's data, a's fsync, b's fsync on mp1
  const all = Promise.all([
    disk.writeFileAtomic('/mp1/a', data).then(mark('a')),
    disk.writeFileAtomic('/mp1/b', data).then(mark('b')),
    disk.writeFileAtomic('/mp2/c', data).then(mark('c')), // its own device
    disk.stat('/conf').then(mark('d')), // the system device
  ]);
  await settle(sched, all);
  const near = (k: string, ms: number): void => assert.ok(Math.abs(at[k]! - ms) < 1e-9, `${k} done at ${at[k]} ms, want ${ms}`);
  near('a', 1.3);
  near('b', 1.4);
  near('c', 0.7);
  near('d', 0.1);
  assert.equal(raw.sizeOf('/mp1/b'), 500);
  // a read pays for the bytes it moves: 0.1 + 0.5 ms on the idle mp2
  const t0 = sched.nowMs;
  const r = await settle(sched, disk.readFile('/mp2/c'));
  assert.equal(r.value.byteLength, 500);
  assert.ok(Math.abs(r.atMs - t0 - 0.6) < 1e-9, `read took ${r.atMs - t0} ms`);
});

test('an index write becomes visible when it completes; reads are immediate', async () => {
  const { sched, disk } = setup();
  const idx = (await settle(sched, disk.openIndex('/mp1/.meta'))).value;
  const put = idx.put('k', new Uint8Array([1]));
  assert.equal(idx.get('k'), undefined, 'not visible before the commit');
  await settle(sched, put);
  assert.deepEqual(idx.get('k'), new Uint8Array([1]));
});

test("a crashed incarnation's disk op never completes and never reaches the disk", async () => {
  let up = true;
  const { sched, raw, disk } = setup(() => up);
  await raw.mkdir('/mp1');
  let finished = false;
  void disk.writeFileAtomic('/mp1/x', new Uint8Array(10)).then(() => (finished = true));
  up = false; // crash before the device is done
  while (sched.step()) await new Promise((r) => setImmediate(r));
  assert.equal(finished, false);
  assert.equal(await raw.stat('/mp1/x'), undefined);
});
