#!/usr/bin/env -S node --initial-old-space-size=256
// (the V8 heap flags of nodes/heap-flags.ts: they must be on the command line)
// Launcher: runs the TypeScript entry through tsx (no build step), from any working directory.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
