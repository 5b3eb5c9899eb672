import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeNpy, type Tensor } from '../tensor/index.ts';
import { float64File, type Float64Record } from './float64-record.ts';

/** How a golden without float64 outputs gets them. */
export const FLOAT64_RECORD_HINT = 're-record it with `golden add --update`, or add them to the golden as it is with `npx tsx scripts/float64-budget.ts --record <golden dir>`';

/** A golden's float64 answer for one seed (by output name), or why it has none. */
export type Float64Outputs = { readonly outputs: ReadonlyMap<string, Tensor> } | { readonly unavailable: string };

/** Loads the float64 outputs of `seed` from a golden directory, per its manifest's "float64" record. */
export async function loadFloat64Outputs(goldenDir: string, record: Float64Record | null | undefined, seed: number): Promise<Float64Outputs> {
  if (!record) return { unavailable: `the golden has no float64 reference (recorded before they existed); ${FLOAT64_RECORD_HINT}` };
  if ('error' in record) return { unavailable: record.error };
  const outputs = new Map<string, Tensor>();
  for (const name of record.outputs) {
    const path = join(goldenDir, float64File(seed, name));
    const bytes = await readFile(path).catch(() => undefined);
    if (bytes === undefined) return { unavailable: `${float64File(seed, name)} is missing from the golden; ${FLOAT64_RECORD_HINT}` };
    try {
      outputs.set(name, decodeNpy(bytes, path));
    } catch (error) {
      return { unavailable: `${float64File(seed, name)} cannot be read (${(error as Error).message}); ${FLOAT64_RECORD_HINT}` };
    }
  }
  return { outputs };
}
