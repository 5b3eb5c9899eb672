// Lowerings of the builder's Gather, Compare and Select layers (src/keras/layers/gather.ts,
// select.ts): GATHER with an int32 constant, the six comparison builtins (bool results), and
// SELECT_V2, which broadcasts its condition and both values. A constant condition (Select's
// `condition` weight, 1 / 0) becomes a bool constant; numbers (the layer decodes the 'inf', '-inf',
// 'nan' its JSON config spells) become float32 scalars.
import { Tensor } from '../../../tensor/index.ts';
import type { OperatorName } from '../../schema/index.ts';
import type { LoweringContext } from '../context.ts';
import type { IrTensor } from '../../ir/index.ts';
import { outputShape } from './util.ts';

export function gather(ctx: LoweringContext, { axis, indices }: { readonly axis: number; readonly indices: readonly number[] }): IrTensor {
  const x = ctx.inputs[0]!;
  return ctx.op('GATHER', [x, ctx.int32('indices', indices)], { shape: outputShape(ctx) }, { axis, batchDims: 0 });
}

type Comparison = 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal' | 'notEqual';

const COMPARISON_OPS: Readonly<Record<Comparison, OperatorName>> = {
  greater: 'GREATER',
  greaterEqual: 'GREATER_EQUAL',
  less: 'LESS',
  lessEqual: 'LESS_EQUAL',
  equal: 'EQUAL',
  notEqual: 'NOT_EQUAL',
};

export function compare(ctx: LoweringContext, layer: { readonly op: Comparison; readonly scalar: number | null }): IrTensor {
  const op = COMPARISON_OPS[layer.op];
  const scalar = layer.scalar;
  const [x, y] = ctx.inputs;
  const other = scalar === null ? (y ?? ctx.fail('compares two tensors but has one input')) : ctx.constant('scalar', Tensor.fromNumbers([], [scalar]));
  return ctx.op(op, [x!, other], { shape: outputShape(ctx), dtype: 'bool' });
}

export function select(ctx: LoweringContext, layer: { readonly condition: readonly number[] | null; readonly whenTrue: number | null; readonly whenFalse: number | null }): IrTensor {
  const inputs = [...ctx.inputs];
  let condition: IrTensor;
  if (layer.condition) {
    const mask = ctx.weight('condition').toFloat32();
    condition = ctx.constant(
      'condition',
      new Tensor(
        'bool',
        mask.shape,
        Uint8Array.from(mask.data, (v) => (v !== 0 ? 1 : 0)),
      ),
    );
  } else condition = inputs.shift() ?? ctx.fail('has no condition input');
  const operand = (key: 'whenTrue' | 'whenFalse'): IrTensor => {
    const value = layer[key];
    if (value !== null) return ctx.constant(key, Tensor.fromNumbers([], [value]));
    return inputs.shift() ?? ctx.fail(`has no ${key} input`);
  };
  const whenTrue = operand('whenTrue');
  const whenFalse = operand('whenFalse');
  return ctx.op('SELECT_V2', [condition, whenTrue, whenFalse], { shape: outputShape(ctx) });
}
