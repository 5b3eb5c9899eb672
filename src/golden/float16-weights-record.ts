// What storing the weights in float16 costs on a model in exact arithmetic: the fixture run in
// float64 with every floating parameter and buffer first rounded to float16 (`t.half().double()`),
// on the golden's seeded inputs, measured against the float64 answer. The float16-budget rule
// bounds a float16-weight port's error by a multiple of it. Only max|r16w - r64| per seed and
// output is kept, in the manifest's "float16Weights" field: the rule needs that one number, the
// per-field digests hash it like every recorded field, and storing the tensors would add another
// float64 copy of every output for nothing.
import { describeError } from '../errors.ts';
import type { Tensor } from '../tensor/index.ts';
import { BridgeCrashedError, BridgeRequestError, BridgeTimeoutError, type FixtureHandle, type TorchBridge } from '../torch/index.ts';
import { float64File, type Float64Record, type RecordedSeed } from './float64-record.ts';

/** max|r16w - r64| by seed (as a string) and output name, or why there is none. */
export type Float16WeightsRecord = { readonly maxAbsDiff: Readonly<Record<string, Readonly<Record<string, number>>>> } | { readonly error: string };

/**
 * Runs the fixture with float16-rounded weights in float64 on every recorded seed's inputs and
 * measures each float output against the float64 answer just recorded (`float64`, with its files).
 * Like the float64 run, a model that cannot run this way is not an error of the golden.
 */
export async function recordFloat16Weights(
  bridge: TorchBridge,
  fixture: FixtureHandle,
  seeds: readonly RecordedSeed[],
  float64: { readonly record: Float64Record; readonly files: ReadonlyArray<readonly [string, Tensor]> },
): Promise<Float16WeightsRecord> {
  if ('error' in float64.record) return { error: `no float64 answer to measure against: ${float64.record.error}` };
  const answers = new Map(float64.files.map(([path, tensor]) => [path, tensor]));
  const maxAbsDiff: Record<string, Record<string, number>> = {};
  for (const { seed, inputs } of seeds) {
    let produced: Array<{ name: string; tensor: Tensor }>;
    try {
      produced = await bridge.run(fixture, inputs, { float16Weights: true });
    } catch (error) {
      if (!(error instanceof BridgeRequestError || error instanceof BridgeTimeoutError || error instanceof BridgeCrashedError)) throw error;
      return { error: `the model cannot run with float16 weights in float64 (seed ${seed}): ${describeError(error).split('\n')[0]}` };
    }
    const bySeed: Record<string, number> = {};
    for (const name of float64.record.outputs) {
      const exact = answers.get(float64File(seed, name));
      const rounded = produced.find((p) => p.name === name)?.tensor;
      const diff = exact && rounded ? maxDifference(rounded, exact) : null;
      if (diff === null) return { error: `the float16-weights run's ${name} (seed ${seed}) cannot be compared with the float64 answer (missing, another shape or dtype, or NaN/Inf)` };
      bySeed[name] = diff;
    }
    maxAbsDiff[String(seed)] = bySeed;
  }
  return { maxAbsDiff };
}

function maxDifference(a: Tensor, b: Tensor): number | null {
  if (a.dtype !== 'float64' || b.dtype !== 'float64' || a.shape.join() !== b.shape.join()) return null;
  const x = a.data as Float64Array;
  const y = b.data as Float64Array;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return Number.isFinite(max) ? max : null;
}

/** What float16 weights cost on `output` of `seed` (max|r16w - r64|), or null when the golden has no such record. */
export function float16WeightsError(record: Float16WeightsRecord | null | undefined, seed: number, output: string): number | null {
  if (!record || 'error' in record) return null;
  return record.maxAbsDiff[String(seed)]?.[output] ?? null;
}

/** Reads the manifest's "float16Weights" field; undefined (a golden recorded before it existed) gives null. */
export function parseFloat16WeightsRecord(value: unknown, fail: (problem: string) => never): Float16WeightsRecord | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (typeof record['error'] === 'string') return { error: record['error'] };
    const bySeed = record['maxAbsDiff'];
    const isDiffs = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((d) => typeof d === 'number' && Number.isFinite(d) && d >= 0);
    if (typeof bySeed === 'object' && bySeed !== null && !Array.isArray(bySeed) && Object.entries(bySeed).every(([seed, v]) => /^\d+$/.test(seed) && isDiffs(v))) {
      return { maxAbsDiff: bySeed as Record<string, Record<string, number>> };
    }
  }
  return fail('"float16Weights" must be {"maxAbsDiff": {"<seed>": {"output_0": number, ...}}} or {"error": "why the model cannot run with float16 weights"}');
}
