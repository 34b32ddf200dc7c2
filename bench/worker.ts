// A load worker process: runs `concurrency` request loops against one target until the duration
// or the op budget runs out, and reports counts and a latency histogram to the parent.
import { randomBytes, randomInt } from 'node:crypto';
import { Histogram } from './histogram.ts';
import { HttpClient, isOk } from './http-client.ts';
import { objectPath } from './objects.ts';
import type { ParentMessage, WorkerConfig, WorkerMessage, WorkerResult } from './worker-messages.ts';

const ERROR_SAMPLES_MAX = 5;
/** Extra time past the duration for in-flight requests before the worker gives up on them. */
const DRAIN_MS_MAX = 30_000;

function post(msg: WorkerMessage, then?: () => void): void {
  process.send?.(msg, undefined, {}, () => then?.());
}

async function run(config: WorkerConfig, startSignal: Promise<void>): Promise<WorkerResult> {
  const client = new HttpClient({ maxSockets: config.concurrency });
  const histogram = new Histogram();
  const errorSamples: string[] = [];
  const payload = randomBytes(config.sizeBytes);
  const fillPayload = randomBytes(config.fillSizeMaxBytes);
  let ops = 0;
  let bytes = 0;
  let errors = 0;
  let issued = 0;
  let fillNext = config.workerIndex;

  const noteError = (text: string): void => {
    errors++;
    if (errorSamples.length < ERROR_SAMPLES_MAX) errorSamples.push(text);
  };

  await startSignal;
  const t0 = performance.now();
  const deadline = t0 + config.durationMs;

  const one = async (): Promise<boolean> => {
    let method: 'GET' | 'PUT';
    let index: number;
    let body: Buffer | undefined;
    if (config.op === 'fill') {
      if (fillNext >= config.objects) return false;
      index = fillNext;
      fillNext += config.workers;
      method = 'PUT';
      body = fillPayload.subarray(0, randomInt(config.fillSizeMaxBytes + 1));
    } else {
      if (performance.now() >= deadline || issued >= config.opsMax) return false;
      index = randomInt(config.objects);
      const put = config.op === 'put' || (config.op === 'mixed' && randomInt(100) < config.putPct);
      method = put ? 'PUT' : 'GET';
      body = put ? payload : undefined;
    }
    issued++;
    const url = config.baseUrl + objectPath(config.bucket, index);
    const start = performance.now();
    try {
      const r = await client.send(method, url, body === undefined ? {} : { body, expectContinue: config.expectContinue });
      if (isOk(r.status)) {
        ops++;
        bytes += method === 'GET' ? r.bytes : body!.length;
        histogram.record((performance.now() - start) * 1000);
      } else {
        noteError(`${method} ${url} → ${r.status}`);
      }
    } catch (err) {
      noteError(`${method} ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return true;
  };

  const loop = async (): Promise<void> => {
    while (await one());
  };
  const loops = Array.from({ length: config.concurrency }, loop);
  const drainMs = config.op === 'fill' ? Number.POSITIVE_INFINITY : config.durationMs + DRAIN_MS_MAX;
  let timer: NodeJS.Timeout | undefined;
  const bounded = new Promise<void>((resolve) => {
    if (Number.isFinite(drainMs)) timer = setTimeout(resolve, drainMs);
  });
  await Promise.race([Promise.all(loops), bounded]);
  clearTimeout(timer);
  const elapsedMs = performance.now() - t0;
  client.close();
  return { ops, bytes, errors, elapsedMs, histogram: histogram.snapshot(), errorSamples };
}

let releaseStart: () => void = () => {};
const startSignal = new Promise<void>((resolve) => {
  releaseStart = resolve;
});

// The parent is the only reason to live: when it goes, so does the worker.
process.on('disconnect', () => process.exit(1));
process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'start') {
    releaseStart();
    return;
  }
  run(msg.config, startSignal).then(
    (result) => {
      post({ type: 'result', result }, () => process.exit(0));
    },
    (err: unknown) => {
      post({ type: 'failed', message: err instanceof Error ? err.stack ?? err.message : String(err) }, () => process.exit(1));
    },
  );
  post({ type: 'ready' });
});
