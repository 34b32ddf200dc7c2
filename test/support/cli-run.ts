// The real `shoal` CLI as a child process, for end-to-end tests: `shoal(...)` never rejects (tests
// assert on failures), `ok(...)` asserts exit 0 and returns stdout.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunner {
  shoal(...args: string[]): Promise<CliRun>;
  ok(...args: string[]): Promise<string>;
}

/** `endpoint` is read at each run (the cluster usually starts in `before`). */
export function cliRunner(endpoint: () => string, opts: { timeoutMs?: number; maxBuffer?: number } = {}): CliRunner {
  const shoal = (...args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      const env = { ...process.env, AIS_ENDPOINT: endpoint() };
      execFile(process.execPath, [CLI_BIN, ...args], { env, timeout: opts.timeoutMs, maxBuffer: opts.maxBuffer ?? 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
        resolve({ code, stdout, stderr });
      });
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await shoal(...args);
    assert.equal(r.code, 0, `shoal ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  return { shoal, ok };
}
