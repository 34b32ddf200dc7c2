// Structured logs on pino; every line carries `node`, actor loggers add `actor`.
// child() merges bindings and derives from the root pino logger, because pino's own child-of-child
// repeats a rebound key (`"actor":"a","actor":"a/b"`) instead of replacing it.
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { ErrInvalidArgument } from '../../../protocol/errors.ts';
import type { Logger } from '../types.ts';

export const LOG_LEVEL_DEFAULT = 'info';
/** Lines are written in batches of at least this many bytes ... */
export const LOG_BUFFER_BYTES_MIN = 4_096;
/** ... or at least this often, so a quiet node's log is still current. */
export const LOG_FLUSH_INTERVAL_MS = 1_000;

export interface LoggerOptions {
  nodeId: string;
  level?: string;
  /** File path (appended, parent dirs created); stdout when undefined. */
  destination?: string;
}

export interface RootLogger extends Logger {
  /** Resolves once buffered lines are written (they are also flushed synchronously on process exit). */
  flush(): Promise<void>;
}

type Bindings = Record<string, string | number>;
type LevelName = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(opts: LoggerOptions): RootLogger {
  const level = opts.level ?? LOG_LEVEL_DEFAULT;
  if (!(level in pino.levels.values) && level !== 'silent') {
    const known = Object.keys(pino.levels.values).join(', ');
    throw new ErrInvalidArgument(`unknown log level "${level}"; use one of ${known}, silent`);
  }
  const stream = opts.destination === undefined ? undefined : fileDestination(opts.destination);
  const root = stream === undefined
    ? pino({ level, base: { node: opts.nodeId } })
    : pino({ level, base: { node: opts.nodeId } }, stream);
  const flush = (): Promise<void> =>
    new Promise((resolve, reject) => root.flush((err) => (err ? reject(err) : resolve())));
  return { ...wrap(root, {}, root), flush };
}

// The file is opened synchronously: pino flushes an async destination with flushSync on process exit,
// which throws (and loses the lines) if the file is still being opened, e.g. on an early exit.
function fileDestination(path: string): pino.DestinationStream {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  return pino.destination({ fd, sync: false, minLength: LOG_BUFFER_BYTES_MIN, periodicFlush: LOG_FLUSH_INTERVAL_MS });
}

function wrap(root: pino.Logger, bindings: Bindings, self: pino.Logger): Logger {
  const at = (name: LevelName) => (obj: object | string, msg?: string): void => {
    if (typeof obj === 'string') self[name](obj);
    else self[name](obj, msg);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => {
      const merged = { ...bindings, ...more };
      return wrap(root, merged, root.child(merged));
    },
  };
}
