#!/usr/bin/env node
// The CLI runs the compiled JavaScript in dist/ (`npm run build`, run by `npm run setup` and before
// `npm pack`): Node starts it in a fraction of a second. In a source checkout whose dist/ is
// missing or older than src/, it runs the TypeScript sources through tsx instead (slower to start,
// never stale).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = `${root}dist/cli/main.js`;
const sources = `${root}src`;

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const stale = existsSync(sources) && (!existsSync(compiled) || newestSource(sources) > statSync(compiled).mtimeMs);
let main;
if (stale) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(`${sources}/cli/main.ts`));
} else {
  ({ main } = await import(compiled));
}
process.exitCode = await main(process.argv.slice(2));
