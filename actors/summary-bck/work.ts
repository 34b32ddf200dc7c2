// summary-bck on one target: count and size of the bucket's objects stored here (AIS xs/nsumm.go).
import type { BckRefWire } from '../../protocol/intra.ts';
import { ZERO_COUNTERS } from '../../protocol/xact.ts';
import type { JobWork } from '../xact/machine.ts';
import { scanBucket, type JobStore } from '../xact/store.ts';

/** Report progress every this many objects. */
export const SUMMARY_REPORT_EVERY_OBJS = 1_000;

export function summaryWork(store: JobStore, bck: BckRefWire, prefix: string): JobWork {
  return async ({ signal, report }) => {
    const c = { ...ZERO_COUNTERS };
    for (const o of scanBucket(store, bck, prefix, signal)) {
      c.locObjs++;
      c.locBytes += o.meta.size;
      if (c.locObjs % SUMMARY_REPORT_EVERY_OBJS === 0) {
        report({ ...c });
        await Promise.resolve(); // let an abort in
      }
    }
    signal.throwIfAborted();
    return { counters: c };
  };
}
