// The copy check of sim/jobs.ts can fail: after a clean copy-bck verifies, a destination object
// corrupted on its target's simulated disk (same size, one byte flipped) must be reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimCluster } from '../../../sim/cluster.ts';
import { InvariantChecker } from '../../../sim/invariants.ts';
import { JobTracker } from '../../../sim/jobs.ts';
import { SIM_BUCKET } from '../../../sim/run.ts';
import { Workload } from '../../../sim/workload.ts';

test('the copy check can fail: a destination object corrupted after a clean copy-bck is reported', async () => {
  const c = await SimCluster.fromSeed(9, { proxies: 1, targets: 3, mountpaths: 2 });
  try {
    assert.equal((await c.drive(c.client.createBucket(SIM_BUCKET))).status, 200);
    const inv = new InvariantChecker(c);
    const w = new Workload(c, inv, SIM_BUCKET);
    await w.run(80, { faulty: false });
    const jobs = new JobTracker(c, inv, SIM_BUCKET);
    const job = await jobs.startCopy('', w.model, false, true);
    assert.ok(job !== undefined, 'the copy started');
    assert.ok(job.endTime > 0, 'the copy ended');
    assert.equal(job.err, '');
    assert.equal(job.aborted, false);
    assert.ok(job.snapshot !== undefined && job.snapshot.size > 0, 'the source was certain at copy start');
    await jobs.quiescenceCheck();
    assert.equal(jobs.stats.verified, 1, 'the clean copy verified');

    // flip one byte of one copied object, on the disk of the target that holds it
    const [name] = [...job.snapshot].find(([, bytes]) => bytes.byteLength > 0)!;
    const suffix = `/${job.dst}/%ob/${name}`;
    const holder = c.specs.find((s) => c.world.disk(s.id).filePaths().some((p) => p.endsWith(suffix)));
    assert.ok(holder !== undefined, `${job.dst}/${name} is on some target's disk`);
    const disk = c.world.disk(holder.id);
    const path = disk.filePaths().find((p) => p.endsWith(suffix))!;
    const bytes = await disk.readFile(path);
    bytes[0] = bytes[0]! ^ 0xff;
    const f = await disk.openWrite(path);
    await f.write(bytes);
    await f.close();

    await assert.rejects(jobs.quiescenceCheck(), (err: Error) => {
      assert.match(err.message, /copy-bck .* → simcp-1: simcp-1\//);
      assert.ok(err.message.includes(`simcp-1/${name} holds ${bytes.byteLength} bytes, not the ${bytes.byteLength} bytes the source held at copy start`), err.message);
      return true;
    });
  } finally {
    await c.stop();
  }
});
