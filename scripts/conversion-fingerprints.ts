// Prints one line per golden: a short sha256 of its converted Keras model (topology, weights) and of
// every TFLite variant's bytes. Two trees that print the same lines convert every golden identically,
// which is how a refactoring of the converter shows it changed no behaviour:
//   npx tsx scripts/conversion-fingerprints.ts [TREE] [NAME-FILTER]
// converts TREE/golden/* with TREE's own code (default: this checkout), e.g. a `git worktree` of the
// base commit, then diff the two outputs.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { convertGolden as ConvertGolden } from '../src/convert/index.ts';
import type { loadGolden as LoadGolden } from '../src/harness/index.ts';

const tree = resolve(process.argv[2] ?? '.');
const only = process.argv[3];
const { convertGolden } = (await import(join(tree, 'src/convert/index.ts'))) as { convertGolden: typeof ConvertGolden };
const { loadGolden } = (await import(join(tree, 'src/harness/index.ts'))) as { loadGolden: typeof LoadGolden };
const GOLDEN_DIR = join(tree, 'golden');
const short = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

for (const name of readdirSync(GOLDEN_DIR).sort()) {
  if (only && !name.includes(only)) continue;
  try {
    const conversion = await convertGolden(await loadGolden(join(GOLDEN_DIR, name)), {});
    const weights = conversion.keras.getWeights().map((w) => short(new Uint8Array(w.dataSync().buffer)));
    const tflite = [...conversion.tflite.entries()].map(([variant, result]) => `${variant}=${short(result.bytes)}`);
    console.log(name, `keras=${short(JSON.stringify(conversion.keras.toJSON(null, false)))}`, `weights=${short(weights.join(''))}`, ...tflite);
  } catch (error) {
    console.log(name, 'ERROR', (error as Error).message.split('\n')[0]);
  }
}
