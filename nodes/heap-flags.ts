// V8 heap flags every node process starts with: deploy/local passes them, the systemd unit's ExecStart
// and the shebang of nodes/bin.js carry the same (test/unit/nodes/heap-flags.test.ts keeps them equal).
// They must be on the command line: V8 sizes the heap when the isolate is created (setting them at
// run time has no effect), and NODE_OPTIONS does not accept them.
//
// Why: a node moves hundreds of MB/s through short-lived ArrayBuffers (socket reads, file reads,
// message frames, archive buffers). V8 counts their growth against the old generation's allocation
// limit, which for a node's ~20 MB heap is small, so under a GetBatch of 100 KiB items each target ran
// a full mark-compact every ~40 ms — a quarter of its CPU. A 256 MB initial old space lifts that limit:
// 2–3 mark-compacts per target instead of ~19 over the same run, target CPU per item −35 %, peak RSS
// unchanged within noise (docs/performance.md, "V8 heap flags").
export const NODE_HEAP_FLAGS: readonly string[] = ['--initial-old-space-size=256'];

/** The heap flags a process was started without (the node warns: throughput suffers, nothing breaks). */
export function heapFlagsMissing(execArgv: readonly string[]): string[] {
  return NODE_HEAP_FLAGS.filter((f) => !execArgv.includes(f));
}
