// What jobs need of a target's storage (nodes/target/storage's Storage has this shape); jobs sit
// below nodes/ and never import it.
import type { BckRefWire } from '../../protocol/intra.ts';

export interface JobObj {
  name: string;
  meta: { size: number };
}

export interface JobStore {
  /** One sorted page of names greater than `startAfter`. */
  list(bck: BckRefWire, opts: { prefix?: string; startAfter?: string; limit: number }): JobObj[];
  head(bck: BckRefWire, objName: string): { size: number } | undefined;
  delete(bck: BckRefWire, objName: string): Promise<void>;
}

/** Page size of job scans over a bucket. */
export const JOB_SCAN_PAGE_SIZE = 1_000;

/** Every object of `bck` (with `prefix`), page by page; stops early once `signal` fires. */
export function* scanBucket(store: JobStore, bck: BckRefWire, prefix: string, signal: AbortSignal): Generator<JobObj> {
  let startAfter: string | undefined;
  for (;;) {
    if (signal.aborted) return;
    const page = store.list(bck, { prefix: prefix || undefined, startAfter, limit: JOB_SCAN_PAGE_SIZE });
    yield* page;
    if (page.length < JOB_SCAN_PAGE_SIZE) return;
    startAfter = page[page.length - 1]!.name;
  }
}
