// The operator-suite shape cases that convert, verified against real torch 1.13 on every float target.
import { describe, expect, it } from 'vitest';
import { buildOneOp, verifySuiteCases } from './suite_testing.ts';

// expand_as_shape_only: the second input is read for its shape only (the TFLite lowering crashed on it).
const CASES = [
  'expand_as_shape_only',
  'roll_last', 'roll_negative_shift_dim1', 'roll_swin_shift', 'roll_two_dims',
  'flip_channels', 'flip_hw', 'flip_last', 'fliplr',
];

describe('shape ops against torch', () => {
  it('every suite case passes on keras and every float TFLite variant', { timeout: 900_000 }, async () => {
    const result = await verifySuiteCases('shape', 'shape_', CASES);
    expect(result.failing).toEqual([]);
    expect(result.missing).toEqual([]);
    expect(result.code).toBe(0);
  });
});

describe('reordering refusals', () => {
  const build = buildOneOp;

  it('names the node, its module path and what to do', () => {
    expect(build('torch.roll', [{ value: 'v0' }, { const: 1 }, { const: 0 }])).toThrow(/node 'block\.op'.*'block'.*roll along dim 0, the batch: samples would trade places \(roll a non-batch axis/s);
    expect(build('torch.roll', [{ value: 'v0' }, { const: 5 }])).toThrow(/node 'block\.op'.*roll without dims rolls the flattened tensor, batch included \(give dims=\)/s);
    expect(build('torch.flip', [{ value: 'v0' }, { const: 0 }])).toThrow(/node 'block\.op'.*flip along dim 0, the batch/s);
  });
});
