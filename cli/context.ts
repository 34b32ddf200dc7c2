// What every command needs: the client (built lazily from the global --endpoint) and output sinks.
import type { Command } from 'commander';
import { AisClient, ENDPOINT_DEFAULT } from './client.ts';

export interface CliContext {
  client(): AisClient;
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal: progress bars redraw one line in place. */
  errIsTty(): boolean;
  close(): Promise<void>;
}

export function createContext(program: Command, env: NodeJS.ProcessEnv): CliContext {
  let client: AisClient | undefined;
  return {
    client() {
      if (client === undefined) {
        const opt = program.opts<{ endpoint?: string }>().endpoint;
        client = new AisClient(opt ?? env['AIS_ENDPOINT'] ?? ENDPOINT_DEFAULT);
      }
      return client;
    },
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    errIsTty: () => process.stderr.isTTY === true,
    async close() {
      await client?.close();
    },
  };
}
