// The production Env: real clock, timers, crypto randomness, node:fs, node:http/uWS + ws sockets, pino.
import type { Env } from '../types.ts';
import { realClock } from './clock.ts';
import { realTimers } from './timers.ts';
import { realRandom } from './random.ts';
import { realDisk } from './disk.ts';
import { realNet } from './net.ts';
import { createLogger } from './logger.ts';
import { createRealWorkers } from './workers.ts';

export interface RealEnvOptions {
  nodeId: string;
  logLevel?: string;
  logFile?: string;
  httpAdapter?: 'node' | 'uws';
}

export function createRealEnv(opts: RealEnvOptions): Env {
  return {
    nodeId: opts.nodeId,
    clock: realClock(),
    timers: realTimers(),
    random: realRandom(),
    disk: realDisk(),
    net: realNet({ httpAdapter: opts.httpAdapter ?? 'node' }),
    log: createLogger({ nodeId: opts.nodeId, level: opts.logLevel, destination: opts.logFile }),
    workers: createRealWorkers(), // threads start on first offload; the owner closes env.workers
  };
}
