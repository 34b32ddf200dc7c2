// Process entry for the plain-Node object server (baseline, or dev cluster stand-in), forked by
// the bench so that it has its own event loop and is stopped by PID. Prints its URL over IPC.
import { listen, objectHandler, portOf, redirectHandler } from './object-server.ts';

export interface ObjectServerReady {
  type: 'listening';
  url: string;
}

const [mode, root, fsyncArg] = process.argv.slice(2);
if ((mode !== 'baseline' && mode !== 'dev') || !root) {
  process.stderr.write('usage: object-server-main.ts baseline|dev ROOT\n');
  process.exit(2);
}

process.on('disconnect', () => process.exit(0));

const target = await listen(objectHandler(root, { buckets: mode === 'dev', fsync: fsyncArg === 'fsync' }));
const targetUrl = `http://127.0.0.1:${portOf(target)}`;
let url = targetUrl;
if (mode === 'dev') {
  const r = redirectHandler(root, targetUrl);
  const front = await listen(r.handler, r.checkContinue);
  url = `http://127.0.0.1:${portOf(front)}`;
}
const ready: ObjectServerReady = { type: 'listening', url };
if (process.send) process.send(ready);
else process.stdout.write(`${url}\n`);
