// `shoal`: an `ais`-like CLI over the AIS native REST API. Exit codes: 0 ok, 1 failure, 2 usage error.
import { Command, CommanderError } from 'commander';
import { ErrInvalidArgument, ErrInvalidBckName, ErrInvalidObjName } from '../protocol/errors.ts';
import { ENDPOINT_DEFAULT } from './client.ts';
import { registerArchive } from './commands/archive.ts';
import { registerBucket } from './commands/bucket.ts';
import { registerCluster } from './commands/cluster.ts';
import { registerGet } from './commands/get.ts';
import { registerJob } from './commands/job.ts';
import { registerLs } from './commands/ls.ts';
import { registerMl } from './commands/ml.ts';
import { registerObject } from './commands/object.ts';
import { registerPut } from './commands/put.ts';
import { registerShow } from './commands/show.ts';
import { registerStorage } from './commands/storage.ts';
import { createContext, type CliContext } from './context.ts';

export const CLI_VERSION = '0.1.0';
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function buildProgram(env: NodeJS.ProcessEnv): { program: Command; ctx: CliContext } {
  const program = new Command('shoal');
  program
    .description('Shoal CLI: an AIS CLI look-alike over the AIStore native API')
    .version(CLI_VERSION)
    .option('--endpoint <url>', `AIS proxy URL (default: $AIS_ENDPOINT or ${ENDPOINT_DEFAULT})`)
    // Set before adding commands so that every subcommand inherits them.
    .exitOverride()
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);
  const ctx = createContext(program, env);
  registerBucket(program, ctx);
  registerLs(program, ctx);
  registerPut(program, ctx);
  registerGet(program, ctx);
  registerObject(program, ctx);
  registerShow(program, ctx);
  registerJob(program, ctx);
  registerCluster(program, ctx);
  registerStorage(program, ctx);
  registerMl(program, ctx);
  registerArchive(program, ctx);
  return { program, ctx };
}

function isUsageError(err: unknown): boolean {
  return err instanceof ErrInvalidArgument || err instanceof ErrInvalidBckName || err instanceof ErrInvalidObjName;
}

/** Runs one command line (`argv` as process.argv: node, script, args...) and returns the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { program, ctx } = buildProgram(env);
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help/version).
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    ctx.err(`Error: ${message}\n`);
    return isUsageError(err) ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    await ctx.close();
  }
}
