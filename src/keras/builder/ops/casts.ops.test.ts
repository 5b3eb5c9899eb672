// dtype casts of the operator suite (suites/ops/elementwise/ew_cast_*, ew_*int64*, ew_where_int_scalars)
// against real torch on every float target, and the refusal of a half-precision cast.
import { describe, expect, it } from 'vitest';
import { parseCapturedGraph } from '../../../torch/index.ts';
import { buildKerasModel } from '../index.ts';
import { describeOpCases } from './suite_cases.testing.ts';

const PASSING = [
  'cast_roberta_position_ids',
  'cast_to_like_tensor',
  'cast_type_as_float',
  'cast_to_dtype_kwarg',
  'cast_bool_of_rounded',
  'cast_bool_output',
  'cast_mask_long_output',
  'cast_long_plus_int64_buffer',
  'cast_arange_float',
  'cast_long_ids_embedding',
  'cast_float_noop',
  'add_int64_buffer',
  'mul_int64_buffer',
  'gt_int64_buffer',
  'int_arange_offset',
  'where_int_scalars',
  'ne_int_after_floor',
  'gt_zero_float',
];

describeOpCases('dtype casts of the operator suite', 'elementwise', 'ew', PASSING, {});

/** x.<op>() of a [2, 3] float32 input whose result PyTorch recorded as `dtype`. */
function castGraph(op: string, dtype: string) {
  return parseCapturedGraph(
    JSON.stringify({
      format: 'torchport-graph',
      version: 1,
      inputs: [{ name: 'input_0', value: 'v0' }],
      outputs: [{ name: 'output_0', value: 'v1' }],
      values: { v0: { shape: [2, 3], dtype: 'float32' }, v1: { shape: [2, 3], dtype } },
      modules: { '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] } },
      nodes: [{ name: 'block.cast', kind: 'function', op, scope: 'block', args: [{ value: 'v0' }], kwargs: {}, outputs: ['v1'], structure: 'tensor' }],
      constants: {},
    }),
    'synthetic graph',
  );
}

describe('dtype cast refusals', () => {
  it('refuses a cast to half precision, naming the node and what to do', () => {
    const build = () => buildKerasModel(castGraph('Tensor.half', 'float16'), { weights: new Map(), constants: new Map() });
    expect(build).toThrow(/node 'block\.cast'.*Tensor\.half.*'block'.*rounds every value to half precision.*keep the model float32/s);
  });

  it('gives an integer output an int32 Keras output and a float one none', () => {
    const long = buildKerasModel(castGraph('Tensor.long', 'int64'), { weights: new Map(), constants: new Map() });
    expect(long.model.outputs[0]!.dtype).toBe('int32');
    const double = buildKerasModel(castGraph('Tensor.double', 'float64'), { weights: new Map(), constants: new Map() });
    expect(double.model.outputs[0]!.dtype).toBe('float32');
    expect(double.model.layers.map((l) => l.getClassName())).toEqual(['InputLayer']);
  });
});
