// The operator-suite shape cases that convert, verified against real torch 1.13 on every float target.
import { describe, expect, it } from 'vitest';
import { parseCapturedGraph } from '../../../torch/index.ts';
import { buildKerasModel } from '../index.ts';
import { verifySuiteCases } from './suite_testing.ts';

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
  const build = (op: string, args: unknown[], kwargs: Record<string, unknown> = {}) => () =>
    buildKerasModel(
      parseCapturedGraph(
        JSON.stringify({
          format: 'torchport-graph',
          version: 1,
          inputs: [{ name: 'input_0', value: 'v0' }],
          outputs: [{ name: 'output_0', value: 'v1' }],
          values: { v0: { shape: [2, 3, 4], dtype: 'float32' }, v1: { shape: [2, 3, 4], dtype: 'float32' } },
          modules: { '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] } },
          nodes: [{ name: 'block.op', kind: 'function', op, scope: 'block', args, kwargs, outputs: ['v1'], structure: 'tensor' }],
          constants: {},
        }),
        'synthetic graph',
      ),
      { weights: new Map(), constants: new Map() },
    );

  it('names the node, its module path and what to do', () => {
    expect(build('torch.roll', [{ value: 'v0' }, { const: 1 }, { const: 0 }])).toThrow(/node 'block\.op'.*'block'.*roll along dim 0, the batch: samples would trade places \(roll a non-batch axis/s);
    expect(build('torch.roll', [{ value: 'v0' }, { const: 5 }])).toThrow(/node 'block\.op'.*roll without dims rolls the flattened tensor, batch included \(give dims=\)/s);
    expect(build('torch.flip', [{ value: 'v0' }, { const: 0 }])).toThrow(/node 'block\.op'.*flip along dim 0, the batch/s);
  });
});
