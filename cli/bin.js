#!/usr/bin/env node
// Launcher: registers tsx (no build step) and runs cli/main.ts; works from any cwd.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
