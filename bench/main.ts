// `npm run bench -- --op put|get|mixed|rss|list ...`: an aisloader-like load generator that measures
// Shoal through its public API and, in the same run, plain baselines on the same files.
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ArgError, parseArgs, type BenchArgs } from './args.ts';
import { startNginx, startObjectServer } from './baselines.ts';
import { Cleanup } from './cleanup.ts';
import { nodesPeakRss, startCluster, type LocalCluster, type NodeRss } from './cluster.ts';
import { HttpClient } from './http-client.ts';
import { fillBucket, LIST_PASSES, listAll, readdirBaseline, type ListPass } from './list.ts';
import { runLoad, type LoadResult } from './load.ts';
import { poolBench } from './pool.ts';
import { copyBench, copyTable } from './copy.ts';
import { rebalanceBench } from './rebalance.ts';
import { createBucket, preloadObjects } from './preload.ts';
import { listTable, loadRatios, loadTable, rssTable } from './report.ts';
import { RSS_BUDGET_MIB, runRss, type RssRun } from './rss.ts';
import { s3Bench, s3Tables, S3_MPT_BYTES_DEFAULT, type S3BenchReport } from './s3.ts';
import { gbCleanup, getBatchBench, gbTables, GB_CASE_BYTES_DEFAULT, type GbReport } from './get-batch.ts';

const CONTROL_SOCKETS_MAX = 64;

interface BenchReport {
  startedAt: string;
  machine: { cpus: number; node: string; platform: string };
  args: BenchArgs;
  endpoint: string;
  load?: LoadResult[];
  ratios?: ReturnType<typeof loadRatios>;
  list?: { shoal: ListPass[]; readdir: ListPass | undefined; ratios: { format: string; namesPerSec: number | undefined }[] };
  rss?: RssRun & { targetPeakRssMiB: number | undefined; budgetMiB: number; withinBudget: boolean | undefined };
  nodes?: NodeRss[];
  s3?: S3BenchReport;
  getBatch?: GbReport;
  notes: string[];
}

const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

/** Bodies above this size are sent with `Expect: 100-continue` (curl's threshold). */
export const EXPECT_CONTINUE_BYTES_MIN = 1024 * 1024;

async function objectBench(args: BenchArgs, ctx: Ctx): Promise<void> {
  const op = args.op as 'get' | 'put' | 'mixed';
  const wantNode = args.baseline === 'node' || args.baseline === 'all';
  const wantNginx = args.baseline === 'nginx' || args.baseline === 'all';
  const baselineRoot = wantNode || wantNginx ? path.join(ctx.tmp, 'baseline') : undefined;
  if (op !== 'put') {
    log(`preloading ${args.objects} × ${args.sizeBytes} B objects`);
    await preloadObjects({ client: ctx.client, baseUrl: ctx.baseUrl, bucket: ctx.bucket, count: args.objects, sizeBytes: args.sizeBytes, baselineRoot });
  }
  const spec = { op, bucket: ctx.bucket, objects: args.objects, sizeBytes: args.sizeBytes, concurrency: args.concurrency, workers: args.workers, durationMs: args.durationMs };
  const results: LoadResult[] = [];
  log(`shoal: ${op} for ${args.durationMs} ms`);
  // As curl does: `Expect: 100-continue` only for bodies over 1 MiB; a smaller body goes along with
  // the first request (the proxy discards it with its 307 and the connection stays open).
  results.push(await runLoad({ ...spec, target: 'shoal', baseUrl: ctx.baseUrl, expectContinue: args.sizeBytes > EXPECT_CONTINUE_BYTES_MIN }, ctx.cleanup));
  if (wantNode) {
    const server = await startObjectServer('baseline', baselineRoot!, ctx.cleanup, args.fsync);
    log(`node baseline at ${server.url}`);
    try {
      // A plain server needs no redirect, so a plain client sends the body at once.
      results.push(await runLoad({ ...spec, target: 'node', baseUrl: server.url, expectContinue: false }, ctx.cleanup));
    } finally {
      await server.stop();
    }
  }
  if (wantNginx && op !== 'get') ctx.report.notes.push('nginx baseline is GET only: skipped');
  if (wantNginx && op === 'get') {
    const nginx = await startNginx(baselineRoot!, path.join(ctx.tmp, 'nginx'), ctx.cleanup);
    if (typeof nginx === 'string') ctx.report.notes.push(nginx);
    else {
      log(`nginx baseline at ${nginx.url}`);
      try {
        results.push(await runLoad({ ...spec, target: 'nginx', baseUrl: nginx.url, expectContinue: false }, ctx.cleanup));
      } finally {
        await nginx.stop();
      }
    }
  }
  ctx.report.load = results;
  ctx.report.ratios = loadRatios(results);
  console.log(loadTable(results));
  for (const r of results) if (r.errorSamples.length > 0) console.log(`${r.target} errors, e.g.: ${r.errorSamples.join(' | ')}`);
}

async function listBench(args: BenchArgs, ctx: Ctx): Promise<void> {
  log(`filling ${args.objects} objects (not measured)`);
  const t0 = performance.now();
  await fillBucket({ baseUrl: ctx.baseUrl, bucket: ctx.bucket, objects: args.objects, workers: args.workers, cleanup: ctx.cleanup });
  log(`filled in ${Math.round(performance.now() - t0)} ms; listing ${LIST_PASSES}× per format`);
  const shoal: ListPass[] = [];
  for (const format of ['json', 'msgpack'] as const) {
    let best: ListPass | undefined;
    for (let pass = 0; pass < LIST_PASSES; pass++) {
      const p = await listAll(ctx.client, ctx.baseUrl, ctx.bucket, format);
      if (p.names !== args.objects) ctx.report.notes.push(`${format} listing returned ${p.names} names, expected ${args.objects}`);
      if (!best || p.namesPerSec > best.namesPerSec) best = p;
    }
    shoal.push(best!);
  }
  const readdir = args.baseline === 'none' ? undefined : await readdirBaseline(path.join(ctx.tmp, 'readdir'), args.objects);
  ctx.report.list = {
    shoal,
    readdir,
    ratios: shoal.map((p) => ({ format: p.format, namesPerSec: readdir ? p.namesPerSec / readdir.namesPerSec : undefined })),
  };
  console.log(listTable(shoal, readdir));
}

async function rssBench(args: BenchArgs, ctx: Ctx): Promise<void> {
  log(`rss: ${args.concurrency} clients PUT then GET ${args.sizeBytes} B each`);
  const run = await runRss({ baseUrl: ctx.baseUrl, bucket: ctx.bucket, clients: args.concurrency, sizeBytes: args.sizeBytes });
  const nodes = ctx.cluster ? await nodesPeakRss(ctx.cluster.nodes) : [];
  const targets = nodes.filter((n) => n.role === 'target' && n.peakRssMiB !== undefined);
  const peak = targets.length > 0 ? Math.max(...targets.map((n) => n.peakRssMiB!)) : undefined;
  const withinBudget = peak === undefined ? undefined : peak <= RSS_BUDGET_MIB;
  ctx.report.rss = { ...run, targetPeakRssMiB: peak, budgetMiB: RSS_BUDGET_MIB, withinBudget };
  console.log(
    `rss: ${run.clients} × ${run.sizeBytes / 1024 ** 2} MiB  PUT ${run.putMiBPerSec.toFixed(0)} MiB/s  GET ${run.getMiBPerSec.toFixed(0)} MiB/s  errors ${run.errors}`,
  );
  if (run.errorSamples.length > 0) console.log(`rss errors, e.g.: ${run.errorSamples.join(' | ')}`);
  console.log(
    peak === undefined
      ? 'target peak RSS: unknown (no cluster PIDs with --endpoint)'
      : `target peak RSS: ${peak.toFixed(1)} MiB of a ${RSS_BUDGET_MIB} MiB budget → ${withinBudget ? 'OK' : 'OVER BUDGET'}`,
  );
}

interface Ctx {
  tmp: string;
  baseUrl: string;
  bucket: string;
  client: HttpClient;
  cleanup: Cleanup;
  cluster: LocalCluster | undefined;
  report: BenchReport;
}

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ArgError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.op === 'pool') return poolBench(args); // no cluster: CPU work on one box
  if (args.op === 'rebalance') return rebalanceBench(args); // its own clusters: it adds and removes targets
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'shoal-bench-'));
  cleanup.add('temp dir', () => fsp.rm(tmp, { recursive: true, force: true }));
  const client = new HttpClient({ maxSockets: CONTROL_SOCKETS_MAX });
  try {
    let cluster: LocalCluster | undefined;
    let baseUrl: string;
    if (args.endpoint) baseUrl = args.endpoint.replace(/\/+$/, '');
    else {
      log('starting a local cluster (1 proxy, 3 targets × 2 mountpaths)');
      cluster = await startCluster(path.join(tmp, 'cluster'), cleanup, args.fsync ? ['Fsync-PUT'] : []);
      baseUrl = cluster.proxyUrl.replace(/\/+$/, '');
    }
    const report: BenchReport = {
      startedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, platform: `${os.type()} ${os.release()}` },
      args,
      endpoint: baseUrl,
      notes: [],
    };
    const bucket = args.bucket ?? `bench-${randomBytes(4).toString('hex')}`;
    const ctx: Ctx = { tmp, baseUrl, bucket, client, cleanup, cluster, report };
    await createBucket(client, baseUrl, bucket);
    console.log(
      `op=${args.op} size=${args.sizeBytes}B concurrency=${args.concurrency} workers=${args.workers} duration=${args.durationMs}ms ` +
        `objects=${args.objects} endpoint=${baseUrl} cpus=${os.cpus().length} node=${process.version}`,
    );
    if (args.op === 'copy') {
      const rs = await copyBench({ client, baseUrl, bucket, objects: args.objects, sizeBytes: args.sizeBytes, tmp });
      console.log(`\ncopy-bck vs cp -r:\n${copyTable(rs)}`);
    } else if (args.op === 'list') await listBench(args, ctx);
    else if (args.op === 'rss') await rssBench(args, ctx);
    else if (args.op === 's3') {
      const s3 = await s3Bench({
        client, baseUrl, bucket, concurrency: args.concurrency, durationMs: args.durationMs, objectsMax: args.objects,
        mptBytes: args.s3MptBytes ?? S3_MPT_BYTES_DEFAULT, log,
      });
      report.s3 = s3;
      console.log(`\n/s3 vs native API (same cluster, same client, ${args.concurrency} loops, ${args.durationMs} ms per case):\n${s3Tables(s3)}`);
    }
    else if (args.op === 'get-batch') {
      const o = { client, baseUrl, bucket, nodes: cluster?.nodes ?? [], caseBytes: args.gb?.caseBytes ?? GB_CASE_BYTES_DEFAULT, memCheck: (args.gb?.memCheck ?? true) && cluster !== undefined, log };
      try {
        report.getBatch = await getBatchBench(o);
      } finally {
        await gbCleanup(o).catch((e: Error) => log(`cleanup of ${bucket} failed: ${e.message}`));
      }
      report.notes.push(...report.getBatch.notes);
      console.log(`\nGetBatch (streamed .tar, 1 request) vs GETs of the same objects (speed-up = GET time ÷ GetBatch time):\n${gbTables(report.getBatch)}`);
    }
    else await objectBench(args, ctx);
    if (cluster) {
      report.nodes = await nodesPeakRss(cluster.nodes);
      console.log(`\npeak RSS per node (VmHWM):\n${rssTable(report.nodes)}`);
    }
    for (const n of report.notes) console.log(`note: ${n}`);
    if (args.json) {
      await fsp.writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
      log(`wrote ${args.json}`);
    }
    return 0;
  } finally {
    client.close();
    await cleanup.runAll();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
