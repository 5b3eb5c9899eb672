import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { FP32_TOLERANCE } from '../compare/index.ts';
import { toMatchReference } from './matcher.ts';

expect.extend({ toMatchReference });

describe('toMatchReference', () => {
  it('passes within tolerance and fails beyond it with metrics, the needed tolerance and the first divergent layer', () => {
    const reference = Tensor.fromNumbers([1, 3], [1, 2, 3]);
    expect(Tensor.fromNumbers([1, 3], [1, 2, 3.000001])).toMatchReference(reference, FP32_TOLERANCE);
    const result = toMatchReference(Tensor.fromNumbers([1, 3], [1, 2.5, 3]), reference, FP32_TOLERANCE, {
      label: 'net / keras / seed 0 / output_0',
      divergence: {
        tolerance: 1e-5,
        first: { module: 'layer1.0.bn1', op: 'BatchNorm2d', convertedName: 'layer1.0.bn1', maxAbsDiff: 0.4, maxAbsReference: 3 },
        layers: [],
      },
    });
    expect(result.pass).toBe(false);
    const message = result.message();
    expect(message).toMatch(/^net \/ keras \/ seed 0 \/ output_0: output does not match the PyTorch reference \(max\|diff\| <= 0\.00001 x max\(1, max\|ref\|\)\)/);
    expect(message).toMatch(/worst at \[0, 1\]: 2\.5 vs reference 2/);
    expect(message).toMatch(/max\|diff\| 5\.000e-1 .* cosine 0\.99/);
    expect(message).toMatch(/would need atol 1\.667e-1/); // 0.5 over max(1, max|ref| 3)
    expect(message).toMatch(/first divergent layer: layer1\.0\.bn1 \(BatchNorm2d\) -> layer1\.0\.bn1/);
  });

  it('fails a NaN output with the reason, whatever the tolerance', () => {
    const result = toMatchReference(Tensor.fromNumbers([2], [NaN, 1]), Tensor.fromNumbers([2], [0, 1]), { rule: 'allclose', atol: 1e9, rtol: 1 });
    expect(result.pass).toBe(false);
    expect(result.message()).toMatch(/the output has 1 NaN/);
  });
});
