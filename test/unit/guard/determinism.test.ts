// The determinism rule: code in runtime/, actors/ and nodes/ reaches time, timers, randomness, sockets
// and files only through the injected Env. The real bindings (runtime/env/real) and the process entry
// (nodes/main.ts) are the only places allowed to touch the world.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOTS = ['runtime', 'actors', 'nodes'];
const ALLOWED = ['runtime/env/real/', 'nodes/main.ts'];

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'Date.now() — use env.clock'],
  [/new Date\(\s*\)/, 'new Date() — use env.clock'],
  [/\bperformance\.now\s*\(/, 'performance.now() — use env.clock'],
  [/\bprocess\.hrtime\b/, 'process.hrtime — use env.clock'],
  [/\bMath\.random\s*\(/, 'Math.random() — use env.random'],
  [/(?<![.\w])(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)\s*\(/, 'global timer — use env.timers'],
  [/\b(randomBytes|randomUUID|randomInt|getRandomValues)\s*\(/, 'crypto randomness — use env.random'],
  [/from\s+['"](node:)?(fs|fs\/promises|net|http|https|http2|dgram|dns|tls|child_process|worker_threads)['"]/, 'direct I/O module — use env.disk / env.net'],
  [/from\s+['"](ws|undici|lmdb|@trufflesuite\/uws-js-unofficial)['"]/, 'socket/file library — use env.net / env.disk'],
  [/from\s+['"]piscina['"]/, 'thread pool — use env.workers'],
  [/\bimport\s*\(\s*['"](node:)?(fs|net|http)['"]/, 'dynamic import of an I/O module'],
];

function files(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('runtime/, actors/ and nodes/ reach the world only through the Env', () => {
  const violations: string[] = [];
  for (const root of ROOTS) {
    let list: string[];
    try {
      list = files(root);
    } catch {
      continue;
    }
    for (const file of list) {
      if (ALLOWED.some((a) => file === a || file.startsWith(a))) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        // an interface's method signature (the Env's own Timers declaration) is not a call
        if (/^\s*\w+\(.*\)\s*:\s*[\w<>| ]+;\s*$/.test(code)) return;
        for (const [re, why] of FORBIDDEN) if (re.test(code)) violations.push(`${file}:${i + 1}: ${why}: ${line.trim()}`);
      });
    }
  }
  assert.deepEqual(violations, []);
});

test('the guard catches a violation', () => {
  const probe = 'const t = Date.now(); setTimeout(() => {}, 1); import x from "node:fs";';
  const hits = FORBIDDEN.filter(([re]) => re.test(probe)).length;
  assert.ok(hits >= 3, `expected the probe to trip 3 rules, tripped ${hits}`);
});
