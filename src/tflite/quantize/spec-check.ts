// Checks a full-int8 model against the quantization rules of its operators (builtins.ts): the
// kernels of RESHAPE, pooling, PAD, TRANSPOSE, CONCATENATION, ... move int8 values without
// rescaling them, so they compute the right thing only when input and output carry the same scale
// and zero point; LOGISTIC / SOFTMAX / TANH write fixed output parameters. A model that breaks one
// of these runs without complaint and is wrong by a constant offset: a zero point off by one on a
// RESHAPE output shifts every value it holds by one quantization step, an error the numbers alone
// cannot tell from int8 rounding (docs/verdict.md, "int8 parameters").
import { modelGraphs, type Quantization, type TfliteModel, type TfliteTensor } from '../model.ts';
import { INT8_RULES } from './rules.ts';

/** Every operator whose int8 tensors break its rule, in words naming the operator and both tensors. */
export function int8ParameterProblems(model: TfliteModel): string[] {
  const problems: string[] = [];
  modelGraphs(model).forEach((graph, g) => {
    graph.operators.forEach((op, index) => {
      if (op.op === 'OPAQUE') return;
      const rule = INT8_RULES[op.op]?.output;
      if (!rule || rule.kind === 'calibrated') return;
      const int8 = (ids: readonly number[]) =>
        ids
          .filter((id) => id >= 0)
          .map((id) => graph.tensors[id]!)
          .filter((t) => t.type === 'int8' && t.quantization);
      const outputs = int8(op.outputs);
      const where = `${op.op} (operator ${index}${g > 0 ? ` of subgraph ${g}` : ''})`;
      if (rule.kind === 'fixed') {
        for (const out of outputs) {
          if (!sameQuantization(out.quantization!, rule.quantization)) {
            problems.push(
              `${where} writes "${out.name}" with ${describe(out.quantization!)}; its int8 kernel always writes ${describe(rule.quantization)}, so every value is read with the wrong parameters`,
            );
          }
        }
        return;
      }
      // same-as-input and shared: every int8 operand (constants included) on the output's parameters.
      for (const out of outputs) {
        for (const input of int8(op.inputs)) {
          if (sameQuantization(input.quantization!, out.quantization!)) continue;
          problems.push(
            `${where} reads "${input.name}" with ${describe(input.quantization!)} but writes "${out.name}" with ${describe(out.quantization!)}: ` +
              `its int8 kernel copies values without rescaling them${offsetInSteps(input, out)}; full int8 requires equal parameters here`,
          );
        }
      }
    });
  });
  return problems;
}

function sameQuantization(a: Quantization, b: Quantization): boolean {
  return (
    a.scale.length === b.scale.length &&
    a.zeroPoint.length === b.zeroPoint.length &&
    a.scale.every((s, i) => Math.abs(s - b.scale[i]!) <= 1e-6 * Math.abs(s)) &&
    a.zeroPoint.every((z, i) => z === b.zeroPoint[i])
  );
}

function describe(q: Quantization): string {
  return `scale ${q.scale.length === 1 ? q.scale[0]!.toExponential(4) : `[${q.scale.length} per channel]`}, zero point ${q.zeroPoint.length === 1 ? q.zeroPoint[0] : `[${q.zeroPoint.length}]`}`;
}

/** With equal scales, what a zero point mismatch does to every value: real = scale x (q - zeroPoint). */
function offsetInSteps(input: TfliteTensor, output: TfliteTensor): string {
  const [a, b] = [input.quantization!, output.quantization!];
  if (a.scale.length !== 1 || b.scale.length !== 1 || Math.abs(a.scale[0]! - b.scale[0]!) > 1e-6 * a.scale[0]!) return '';
  const steps = a.zeroPoint[0]! - b.zeroPoint[0]!;
  return steps === 0
    ? ''
    : ` (every value it copies from "${input.name}" is read ${Math.abs(steps)} quantization step${Math.abs(steps) === 1 ? '' : 's'} ${steps > 0 ? 'higher' : 'lower'} in "${output.name}")`;
}
