// Writes suites/parity/<fixture>.test.ts for every golden: one vitest file per fixture so that
// `vitest --shard=i/n` can spread fixtures over machines. Run after adding a golden:
//   npx tsx scripts/make-parity-tests.ts
// (a test fails, naming this command, when a golden has no parity file or a file has no golden).
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { expectedParityFiles, PARITY_DIR } from '../suites/parity-files.ts';

const expected = expectedParityFiles();
for (const file of readdirSync(PARITY_DIR).filter((f) => f.endsWith('.test.ts'))) {
  if (!expected.has(file)) rmSync(`${PARITY_DIR}/${file}`);
}
for (const [file, text] of expected) writeFileSync(`${PARITY_DIR}/${file}`, text);
console.log(`wrote ${expected.size} parity test files to ${PARITY_DIR}`);
