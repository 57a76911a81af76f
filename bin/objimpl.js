#!/usr/bin/env node
// The objimpl command: the compiled CLI (dist/, built by `npm run build`, which
// `npm ci` and `npm install` run through the prepare script). Plain node, no loader.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('objimpl: dist/src/cli/main.js: not built (run npm run build)\n');
  process.exit(2);
}
await import(main.href);
