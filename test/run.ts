// `npm test`: type-check, then every test file (unit, integration on real processes, end-to-end CLI)
// with Node's test runner. Node 20's runner does not expand globs, so the files are collected here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOTS = ['test/unit', 'test/integration', 'test/e2e'];
/** Integration files each start a 4-process cluster: two at a time fit a 2-core CI box. */
const CONCURRENCY = Number(process.env.SHOAL_TEST_CONCURRENCY ?? 2);
const FILE_TIMEOUT_MS = 600_000;

function collect(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : ROOTS.flatMap(collect);
if (only.length === 0 && process.env.SHOAL_SKIP_TYPECHECK !== '1') {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('type check failed');
    process.exit(1);
  }
}
const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${FILE_TIMEOUT_MS}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
