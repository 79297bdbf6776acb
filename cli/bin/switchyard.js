#!/usr/bin/env node
// Committed entry point, so `npx switchyard` works as soon as the workspace is installed (npm install builds it).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('switchyard: the CLI is not built yet; run `npm run build` at the repository root, then try again\n');
  process.exit(1);
}
await import(main.href);
