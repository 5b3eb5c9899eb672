// A vitest matcher that judges a tensor against its PyTorch reference with the harness's own
// comparator, so parity tests and `torchport verify` can never disagree.
import { compareTensors, describeTolerance, type CompareContext, type Tolerance } from '../compare/index.ts';
import type { Divergence } from '../judge/index.ts';
import type { Tensor } from '../../tensor/index.ts';

export interface ReferenceContext extends CompareContext {
  /** Where the converted model first leaves tolerance (shown in the failure message). */
  readonly divergence?: Divergence;
  /** Names the case in the message: "resnet_basic_block / keras / seed 1 / output_0". */
  readonly label?: string;
}

function number(value: number): string {
  return value === 0 ? '0' : Number.isFinite(value) ? value.toExponential(3) : String(value);
}

export function toMatchReference(received: Tensor, reference: Tensor, tolerance: Tolerance, context: ReferenceContext = {}) {
  const comparison = compareTensors(received, reference, tolerance, context);
  const label = context.label ? `${context.label}: ` : '';
  return {
    pass: comparison.pass,
    message: () => {
      if (comparison.pass) return `${label}expected a mismatch beyond ${describeTolerance(tolerance)}, but the output matches the reference`;
      const lines = [`${label}output does not match the PyTorch reference (${describeTolerance(tolerance)})`, `  ${comparison.reason}`];
      if ('metrics' in comparison) {
        const m = comparison.metrics;
        lines.push(
          `  max|diff| ${number(m.maxAbsDiff)}  max rel ${number(m.maxRelDiff)}  mean|diff| ${number(m.meanAbsDiff)}  rmse ${number(m.rmse)}  cosine ${m.cosineSimilarity.toFixed(6)}`,
          `  would need ${comparison.needed.parameter} ${number(comparison.needed.value)}`,
        );
      }
      const first = context.divergence?.first;
      if (first) {
        lines.push(`  first divergent layer: ${first.module} (${first.op}) -> ${first.convertedName}: max|diff| ${number(first.maxAbsDiff)} over max|ref| ${number(first.maxAbsReference)}`);
      }
      return lines.join('\n');
    },
  };
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- must match vitest's own declaration
  interface Matchers<T = any> {
    /** The tensor matches the PyTorch reference under the tolerance (torchport's comparator). */
    toMatchReference(reference: Tensor, tolerance: Tolerance, context?: ReferenceContext): T;
  }
}
