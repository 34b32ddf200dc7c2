#!/usr/bin/env -S node --initial-old-space-size=256
// (V8 heap flags as a node's, nodes/heap-flags.ts: a batch download moves hundreds of MB through short-lived buffers)
// Launcher: registers tsx (no build step) and runs cli/main.ts; works from any cwd.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
