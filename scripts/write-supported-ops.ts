// Writes docs/supported-ops.md from the op registry. Run after adding or changing an op family:
//   npx tsx scripts/write-supported-ops.ts
// (src/keras/builder/supported_ops.test.ts fails, naming this command, when the page is stale).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FAMILIES } from '../src/keras/builder/index.ts';
import { SUPPORTED_OPS_FILE, supportedOpsMarkdown } from '../src/keras/builder/supported_ops.ts';
import { writeFileAtomic } from '../src/util/index.ts';

mkdirSync(dirname(SUPPORTED_OPS_FILE), { recursive: true });
await writeFileAtomic(SUPPORTED_OPS_FILE, supportedOpsMarkdown(FAMILIES));
console.log(`wrote ${SUPPORTED_OPS_FILE}`);
