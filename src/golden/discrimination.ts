// A golden is worth something only if a broken converter would fail against it. Outputs that do
// not change with the input, that sit far below the float32 tolerance, or that are NaN/Inf let
// anything pass; `golden add` refuses them and `golden verify` flags them, unless the fixture
// says why it is kept anyway (DISCRIMINATION_WAIVER).
import type { Tensor } from '../tensor/index.ts';

/** The float32 tolerance of the verdict (FP32_TOLERANCE in harness/compare, whose test keeps the two equal). */
const FLOAT32_ATOL = 1e-5;

/** Outputs whose largest |value| over every seed stays below this cannot tell 0 from the reference. */
export const MIN_OUTPUT_MAGNITUDE = 100 * FLOAT32_ATOL;

export const DISCRIMINATION_FIX =
  'Give the model non-trivial activations: re-estimate or randomize its BatchNorm statistics (randomize_normalization in suites/fixtures/_common.py), ' +
  'or change INPUT_DISTRIBUTION so the inputs exercise it. To keep the golden anyway, set DISCRIMINATION_WAIVER = "<why>" in the fixture.';

/** Why the recorded outputs cannot discriminate a correct conversion from a broken one (empty when they can). */
export function discriminationProblems(names: readonly string[], bySeed: ReadonlyArray<{ readonly seed: number; readonly outputs: readonly Tensor[] }>): string[] {
  const problems: string[] = [];
  names.forEach((name, i) => {
    const tensors = bySeed.map(({ seed, outputs }) => ({ seed, tensor: outputs[i]! }));
    let maxAbs = 0;
    for (const { seed, tensor } of tensors) {
      const values = tensor.toFloat32().data;
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        problems.push(`${name}: the reference holds ${values[bad]} (seed ${seed}, flat index ${bad}); no comparison against it can pass or mean anything`);
        return;
      }
      for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    if (tensors.length >= 2 && tensors.every(({ tensor }) => sameValues(tensor, tensors[0]!.tensor))) {
      problems.push(`${name}: identical on every seed (${tensors.map((t) => t.seed).join(', ')}): it does not depend on the input, so a converter that ignores the input passes`);
    } else if (tensors[0]!.tensor.dtype === 'bool' && tensors.every(({ tensor }) => constant(tensor))) {
      problems.push(`${name}: the boolean reference holds one value everywhere: a converter that returns a constant passes`);
    } else if (tensors[0]!.tensor.dtype !== 'bool' && maxAbs < MIN_OUTPUT_MAGNITUDE) {
      problems.push(`${name}: its largest |value| over every seed is ${maxAbs.toExponential(2)}, far below the float32 tolerance (${FLOAT32_ATOL}): an output of zeros passes`);
    }
  });
  return problems;
}

function sameValues(a: Tensor, b: Tensor): boolean {
  const x = a.toFloat32().data;
  const y = b.toFloat32().data;
  return x.length === y.length && x.every((v, k) => v === y[k]);
}

function constant(tensor: Tensor): boolean {
  const values = tensor.toFloat32().data;
  return values.every((v) => v === values[0]);
}
