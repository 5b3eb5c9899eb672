#!/usr/bin/env node
// The CLI ships as TypeScript sources run through tsx's loader, so `npx torchport`
// always runs the code in src/ (no build step that can go stale).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
