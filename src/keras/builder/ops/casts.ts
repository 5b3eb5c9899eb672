// dtype casts: Tensor.to(dtype / tensor / device), type_as, .float(), .double(), .long(), .int(),
// .bool() and friends. Inside a converted model every number is float32: an integer tensor is
// held as float32 whole numbers (exact up to 2^24), a bool tensor as a Keras bool (a Compare
// result). So a cast is decided by the recorded dtypes of its input and output: float -> float
// and int -> int are nothing, float -> int truncates toward zero, bool -> number selects 1 / 0,
// number -> bool compares with 0. Only a graph output keeps PyTorch's integer kind, through the
// Cast layer below (int32: tfjs and torchport's TFLite have no int64 activations).
import { tf } from '../../../runtimes/tfjs/index.ts';
import type { IrTensor } from '../../../tflite/ir/index.ts';
import type { LoweringContext } from '../../../tflite/lower/index.ts';
import { Compare, KerasLayerConfigError, MathFunction, Select } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { Unsupported, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, type Converter } from './common.ts';
import { op, spellings, type LowerableLayer, type OpFamily } from '../family.ts';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export type DTypeKind = 'float' | 'int' | 'bool' | 'half';

/** How a recorded PyTorch dtype is held in the converted model. */
export function dtypeKind(dtype: string): DTypeKind {
  if (dtype === 'bool') return 'bool';
  if (dtype === 'float16' || dtype === 'bfloat16') return 'half';
  if (dtype.startsWith('float')) return 'float';
  if (/^u?int\d+$/.test(dtype)) return 'int';
  throw new Unsupported(`dtype ${dtype} (float, integer and bool tensors are supported)`);
}

const CAST_TARGETS = ['int32', 'bool'] as const;
type CastTarget = (typeof CAST_TARGETS)[number];

/**
 * A model output of integer (or bool) kind: float32 whole numbers cast to int32, as PyTorch's
 * integer result is (a bool input casts too). TFLite: CAST.
 */
export class Cast extends tf.layers.Layer implements LowerableLayer {
  static readonly className = 'Cast';
  readonly to: CastTarget;

  constructor(args: LayerArgs & { to: CastTarget }) {
    super(args);
    if (!(CAST_TARGETS as readonly string[]).includes(args.to)) throw new KerasLayerConfigError(`Cast to must be one of ${CAST_TARGETS.join(', ')}, got ${JSON.stringify(args.to)}`);
    this.to = args.to;
  }

  // tfjs-layers gives a symbolic output its first input's dtype and casts computed values to it:
  // the symbolic output is marked with the target dtype so the cast survives (as Compare does).
  override apply(inputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[] {
    const output = super.apply(inputs, kwargs);
    if (output instanceof tf.SymbolicTensor) (output as { dtype: tf.DataType }).dtype = this.to;
    return output;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.cast(Array.isArray(inputs) ? inputs[0]! : inputs, this.to));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), to: this.to };
  }

  lower(ctx: LoweringContext): IrTensor {
    const x = ctx.inputs[0]!;
    if (x.dtype === this.to) ctx.fail(`casts a ${x.dtype} value to ${this.to}, which it already is`);
    return ctx.op('CAST', [x], { shape: x.shape, dtype: this.to }, { inDataType: x.dtype, outDataType: this.to });
  }
}

const recordedDtype = (ctx: BuildContext, id: string | undefined): string => {
  const info = id === undefined ? undefined : ctx.graph.values[id];
  if (!info) throw new Unsupported(`value ${String(id)} has no recorded dtype`);
  return info.dtype;
};

/** True when the Keras value holds a bool tensor (a Compare / logical result). */
const isKerasBool = (value: KValue): boolean => value.tensor.dtype === 'bool';

/** `value`, holding a tensor of PyTorch kind `from`, as kind `to` (see the module comment). */
export function castValue(node: OpNode, ctx: BuildContext, value: KValue, from: DTypeKind, to: DTypeKind): KValue {
  if (to === 'half')
    throw new Unsupported(
      'a cast to float16 / bfloat16 rounds every value to half precision, which the float32 port does not reproduce: keep the model float32 (the tflite-fp16 target stores half-precision weights)',
    );
  if (from === 'half') throw new Unsupported('its input is a float16 / bfloat16 tensor (the port computes in float32: keep the model float32)');
  const name = (suffix = '') => nameFor(node, ctx, suffix);
  if (to === 'bool') {
    if (from === 'bool' || isKerasBool(value)) return value;
    return ctx.apply(new Compare({ op: 'notEqual', scalar: 0, name: name() }), value, value.torchShape, value.layout);
  }
  if (from === 'bool' || isKerasBool(value)) {
    return ctx.apply(new Select({ name: name(), condition: null, whenTrue: 1, whenFalse: 0 }), value, value.torchShape, value.layout);
  }
  if (from === 'float' && to === 'int') return ctx.apply(new MathFunction({ fn: 'trunc', name: name() }), value, value.torchShape, value.layout);
  return value;
}

/** Every cast spelling: the target is the dtype recorded for the node's output. */
const cast: Converter = (node, ctx) => {
  const x = firstInput(node, ctx);
  const from = dtypeKind(recordedDtype(ctx, firstInputId(node)));
  const to = dtypeKind(recordedDtype(ctx, node.node.outputs[0]));
  // Token ids read only by nn.Embedding: the Embedding layer truncates float ids itself.
  if (from === 'float' && to === 'int' && onlyEmbeddingsRead(node, ctx)) return [x];
  return [castValue(node, ctx, x, from, to)];
};

const firstInputId = (node: OpNode): string | undefined => {
  const arg = node.node.args[0];
  return arg !== undefined && 'value' in arg ? arg.value : undefined;
};

function onlyEmbeddingsRead(node: OpNode, ctx: BuildContext): boolean {
  const out = node.node.outputs[0];
  const readers = ctx.graph.nodes.filter((n) => n.args.some((a) => 'value' in a && a.value === out));
  return readers.length > 0 && readers.every((n) => n.op === 'Embedding') && !ctx.graph.outputs.some((o) => o.value === out);
}

/**
 * A graph output of integer or bool kind as PyTorch returns it: int32 for every integer dtype
 * (the comparison takes int32 for int64), bool for bool. Float outputs are returned as they are.
 */
export function outputOfRecordedKind(node: OpNode, ctx: BuildContext, value: KValue, dtype: string): KValue {
  const kind = dtype === 'bool' ? 'bool' : /^u?int\d+$/.test(dtype) ? 'int' : 'float';
  if (kind === 'int') return ctx.apply(new Cast({ to: 'int32', name: nameFor(node, ctx, '__int32') }), value, value.torchShape, value.layout);
  if (kind === 'bool' && !isKerasBool(value)) return ctx.apply(new Cast({ to: 'bool', name: nameFor(node, ctx, '__bool') }), value, value.torchShape, value.layout);
  return value;
}

const CAST = op(cast);

export const FAMILY: OpFamily = {
  name: 'dtype casts',
  layers: [Cast],
  ops: spellings(
    [
      'Tensor.to',
      'Tensor.type',
      'Tensor.type_as',
      'Tensor.float',
      'Tensor.double',
      'Tensor.half',
      'Tensor.bfloat16',
      'Tensor.long',
      'Tensor.int',
      'Tensor.short',
      'Tensor.char',
      'Tensor.byte',
      'Tensor.bool',
    ],
    CAST,
  ),
};
