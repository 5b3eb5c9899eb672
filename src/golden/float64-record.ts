// The float64 answer a golden carries beside PyTorch's float32 outputs: the same model run in
// float64 (`copy.deepcopy(model).double()`) on the same inputs. Against it, PyTorch's own float32
// error is what float32 arithmetic costs on this model, and a port's error can be read as a multiple
// of that cost. This module owns the on-disk part (files under float64/, the manifest's "float64"
// record); it imports nothing from the golden store, which calls it.
import { describeError } from '../errors.ts';
import type { Tensor } from '../tensor/index.ts';
import { BridgeCrashedError, BridgeRequestError, BridgeTimeoutError, type FixtureHandle, type TorchBridge } from '../torch/index.ts';

/** The folder of a golden holding the float64 outputs, one .npy per seed and float output. */
export const FLOAT64_DIR = 'float64';

export function float64File(seed: number, output: string): string {
  return `${FLOAT64_DIR}/seed-${seed}/${output}.npy`;
}

/**
 * The manifest's "float64" field: the float outputs that have a float64 reference, or why there is
 * none (the model has no double kernel for an op, forward() casts to float32, the run failed).
 * A manifest without the field predates float64 references.
 */
export type Float64Record = { readonly outputs: readonly string[] } | { readonly error: string };

const FLOAT_DTYPES = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** One recorded seed: its inputs and PyTorch's float32 outputs. */
export interface RecordedSeed {
  readonly seed: number;
  readonly inputs: readonly Tensor[];
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly tensor: Tensor }>;
}

/**
 * Runs the fixture in float64 on every recorded seed's inputs. Returns the manifest record and the
 * tensors to store (by path relative to the golden). A model that cannot run in float64 is not an
 * error of the golden: the record says why and judging falls back to the scale-aware rule.
 */
export async function recordFloat64(bridge: TorchBridge, fixture: FixtureHandle, seeds: readonly RecordedSeed[]): Promise<{ record: Float64Record; files: Array<[string, Tensor]> }> {
  const files: Array<[string, Tensor]> = [];
  let names: string[] | undefined;
  for (const { seed, inputs, outputs } of seeds) {
    let produced: Array<{ name: string; tensor: Tensor }>;
    try {
      produced = await bridge.run(fixture, inputs, { float64: true });
    } catch (error) {
      // A float64 copy doubles the model's memory: a worker that dies or hangs on it costs the budget, not the golden.
      if (!(error instanceof BridgeRequestError || error instanceof BridgeTimeoutError || error instanceof BridgeCrashedError)) throw error;
      return { record: { error: `the model cannot run in float64 (seed ${seed}): ${describeError(error).split('\n')[0]}` }, files: [] };
    }
    const problem = mismatch(outputs, produced);
    if (problem) return { record: { error: `the float64 run does not match the float32 one (seed ${seed}): ${problem}` }, files: [] };
    const floats = produced.filter((p, i) => FLOAT_DTYPES.has(outputs[i]!.tensor.dtype) && p.tensor.dtype === 'float64');
    names ??= floats.map((p) => p.name);
    for (const { name, tensor } of floats) files.push([float64File(seed, name), tensor]);
  }
  if (!names || names.length === 0) return { record: { error: 'the model has no float output' }, files: [] };
  return { record: { outputs: names }, files };
}

function mismatch(float32: RecordedSeed['outputs'], float64: ReadonlyArray<{ name: string; tensor: Tensor }>): string | null {
  if (float32.length !== float64.length) return `${float64.length} outputs, float32 gave ${float32.length}`;
  for (const [i, { name, tensor }] of float64.entries()) {
    const reference = float32[i]!;
    if (name !== reference.name) return `output ${i} is named ${name}, float32's ${reference.name}`;
    if (tensor.shape.join() !== reference.tensor.shape.join()) return `${name} has shape [${tensor.shape.join(', ')}], float32's [${reference.tensor.shape.join(', ')}]`;
    if (tensor.dtype === 'float64' && !(tensor.data as Float64Array).every(Number.isFinite)) return `${name} holds NaN or Inf`;
  }
  return null;
}

/** Reads the manifest's "float64" field; undefined (a golden recorded before float64 references) gives null. */
export function parseFloat64Record(value: unknown, fail: (problem: string) => never): Float64Record | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const outputs = record['outputs'];
    if (Array.isArray(outputs) && outputs.length > 0 && outputs.every((o) => typeof o === 'string' && /^[A-Za-z0-9_.-]+$/.test(o))) return { outputs: outputs as string[] };
    if (typeof record['error'] === 'string') return { error: record['error'] };
  }
  return fail('"float64" must be {"outputs": ["output_0", ...]} or {"error": "why the model cannot run in float64"}');
}
