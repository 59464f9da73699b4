#!/usr/bin/env node
// The `calltrail` command: runs the compiled CLI (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('calltrail is not built yet: run `npm run build` (npm install does it) first.\n');
  process.exit(2);
}
await import(main.href);
