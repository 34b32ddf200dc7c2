// A loopback HTTP server that plays the AIS proxy for CLI tests: records every request (method, path,
// query, JSON body) and answers from a handler; plus a runner that drives `buildProgram` with output
// captured instead of written to the terminal.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { CommanderError } from 'commander';
import { buildProgram } from '../../../cli/main.ts';
import { ErrInvalidArgument, ErrInvalidBckName, ErrInvalidObjName } from '../../../protocol/errors.ts';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface FakeReply {
  status?: number;
  /** A string is sent as is (text/plain), anything else as JSON. */
  body?: unknown;
}

export type FakeHandler = (req: FakeRequest) => FakeReply;

export interface FakeAis {
  url: string;
  requests: FakeRequest[];
  handler: FakeHandler;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFakeAis(handler: FakeHandler): Promise<FakeAis> {
  const fake: FakeAis = { url: '', requests: [], handler, close: async () => {} };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const r: FakeRequest = { method: req.method ?? '', path: u.pathname, query: u.searchParams, body: await readBody(req) };
      fake.requests.push(r);
      const reply = fake.handler(r);
      const text = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json' });
      res.end(text);
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  return fake;
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `shoal ARGS...` in-process against `endpoint`; exit codes as cli/main.ts maps them. */
export async function runCli(endpoint: string, ...args: string[]): Promise<CliRun> {
  const { program, ctx } = buildProgram({ AIS_ENDPOINT: endpoint });
  let out = '';
  let err = '';
  ctx.out = (t) => void (out += t);
  ctx.err = (t) => void (err += t);
  program.configureOutput({ writeOut: (t) => void (out += t), writeErr: (t) => void (err += t) });
  for (const c of allCommands(program)) c.configureOutput({ writeOut: (t) => void (out += t), writeErr: (t) => void (err += t) });
  let code = 0;
  try {
    await program.parseAsync(['node', 'shoal', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else {
      err += `Error: ${e instanceof Error ? e.message : String(e)}\n`;
      // as cli/main.ts: bad arguments are usage errors (2), everything else a failure (1)
      code = e instanceof ErrInvalidArgument || e instanceof ErrInvalidBckName || e instanceof ErrInvalidObjName ? 2 : 1;
    }
  } finally {
    await ctx.close();
  }
  return { code, out, err };
}

function allCommands(c: ReturnType<typeof buildProgram>['program']): ReturnType<typeof buildProgram>['program'][] {
  return c.commands.flatMap((sub) => [sub, ...allCommands(sub)]);
}
