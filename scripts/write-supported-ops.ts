// Writes docs/supported-ops.md from the op registry, the TFLite builtin records and the committed
// goldens (which TFLite builtins each call lowers to). Run after adding or changing an op family
// or recording a golden:
//   npx tsx scripts/write-supported-ops.ts
// (src/keras/builder/supported_ops.test.ts fails, naming this command, when the page is stale).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { observeOpLowering } from '../src/convert/op-lowering.ts';
import { listGoldenDirs, loadGolden } from '../src/golden/index.ts';
import { FAMILIES } from '../src/keras/builder/index.ts';
import { SUPPORTED_OPS_FILE, supportedOpsMarkdown } from '../src/keras/builder/supported_ops.ts';
import { writeFileAtomic } from '../src/util/index.ts';

const goldens = await Promise.all((await listGoldenDirs('golden')).map((dir) => loadGolden(dir)));
const lowering = await observeOpLowering(goldens);
mkdirSync(dirname(SUPPORTED_OPS_FILE), { recursive: true });
await writeFileAtomic(SUPPORTED_OPS_FILE, supportedOpsMarkdown(FAMILIES, lowering));
console.log(`wrote ${SUPPORTED_OPS_FILE} (${goldens.length} goldens)`);
