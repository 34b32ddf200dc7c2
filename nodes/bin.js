#!/usr/bin/env node
// Launcher: runs the TypeScript entry through tsx (no build step), from any working directory.
import { register } from 'tsx/esm/api';
register();
await import('./main.ts');
