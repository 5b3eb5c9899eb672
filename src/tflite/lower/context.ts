// What a lowering function sees: the layer (name, class, config, weights), its input values,
// its Keras output shapes with the batch resolved, and methods to append constants and TFLite
// operators to the float IR. Names follow the layer: `<layer>` for its output, `<layer>/<suffix>`
// for everything else it creates, so the TFLite graph reads like the Keras model.
import { Tensor } from '../../tensor/index.ts';
import type { OperatorName, OptionsForOperator } from '../schema/index.ts';
import { LayerNotLowerable } from './errors.ts';
import type { IrDType, IrGraph, IrLoop, IrTensor } from '../ir/index.ts';
import type { GroupedConvolutionStrategy } from './layers/conv.ts';
import type { RecurrenceStrategy } from './loop.ts';

/** Settings a lowering may consult (chosen by the converter, same for the whole model). */
export interface LoweringSettings {
  readonly groupedConvolution: GroupedConvolutionStrategy;
  /** How LSTM / GRU recurrences are written: one WHILE per direction, or one cell per step. */
  readonly recurrence: RecurrenceStrategy;
}

export interface LayerInfo {
  readonly name: string;
  readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
}

export interface OutputSpec {
  readonly shape: readonly number[];
  readonly dtype?: IrDType;
  /** Name suffix (`<layer>/<suffix>`); the layer's own output gets the bare layer name later. */
  readonly suffix?: string;
  /** The operator stays float32 in full int8 (IrOp.keepFloat). */
  readonly keepFloat?: boolean;
}

export interface LoweringContext {
  readonly layer: LayerInfo;
  readonly inputs: readonly IrTensor[];
  /** The layer's Keras output shapes, batch dimension resolved. */
  readonly outputShapes: readonly (readonly number[])[];
  /** A weight by its short Keras name (kernel, bias, gamma, ...), float32 in Keras layout. */
  weight(name: string): Tensor;
  hasWeight(name: string): boolean;
  /** A config entry (undefined when absent). */
  config<T = unknown>(key: string): T | undefined;
  constant(suffix: string, value: Tensor): IrTensor;
  int32(suffix: string, values: readonly number[], shape?: readonly number[]): IrTensor;
  /** Appends one operator with one output. `null` inputs are omitted optional inputs. */
  op<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], output: OutputSpec, options?: OptionsForOperator<Op>): IrTensor;
  /** Appends one operator with several outputs (SPLIT, UNPACK...). */
  opMulti<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], outputs: readonly OutputSpec[], options?: OptionsForOperator<Op>): IrTensor[];
  /**
   * Appends a WHILE: `graphs.cond` and `graphs.body` take the loop values (`inputs`, in order);
   * the outputs are the loop values after the last iteration (./loop.ts builds these).
   */
  loop(inputs: readonly IrTensor[], outputs: readonly OutputSpec[], graphs: IrLoop): IrTensor[];
  /** Applies a Keras activation by name ('linear' returns x unchanged). */
  activation(name: string, x: IrTensor): IrTensor;
  /** Rejects the layer with a reason; the converter reports every rejected layer at once. */
  fail(problem: string): never;
}

export type ActivationLowering = (ctx: LoweringContext, x: IrTensor) => IrTensor;

export class LayerLoweringContext implements LoweringContext {
  private counter = 0;

  constructor(
    private readonly graph: IrGraph,
    readonly layer: LayerInfo,
    readonly inputs: readonly IrTensor[],
    readonly outputShapes: readonly (readonly number[])[],
    private readonly weights: ReadonlyMap<string, Tensor>,
    private readonly activations: (name: string) => ActivationLowering | undefined,
  ) {}

  weight(name: string): Tensor {
    const value = this.weights.get(name);
    if (!value) this.fail(`has no weight '${name}' (it has: ${[...this.weights.keys()].join(', ') || 'none'})`);
    return value;
  }

  hasWeight(name: string): boolean {
    return this.weights.has(name);
  }

  config<T = unknown>(key: string): T | undefined {
    return this.layer.config[key] as T | undefined;
  }

  private uniqueName(suffix: string | undefined): string {
    return `${this.layer.name}/${suffix ?? `t${this.counter++}`}`;
  }

  constant(suffix: string, value: Tensor): IrTensor {
    if (value.dtype !== 'float32' && value.dtype !== 'int32' && value.dtype !== 'bool') this.fail(`constant '${suffix}' is ${value.dtype}; lowerings make float32, int32 or bool constants`);
    return this.graph.addValue({ name: this.uniqueName(suffix), shape: value.shape, dtype: value.dtype, data: value });
  }

  int32(suffix: string, values: readonly number[], shape: readonly number[] = [values.length]): IrTensor {
    const data = new Tensor('int32', shape, Int32Array.from(values));
    return this.graph.addValue({ name: this.uniqueName(suffix), shape, dtype: 'int32', data });
  }

  op<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], output: OutputSpec, options?: OptionsForOperator<Op>): IrTensor {
    return this.opMulti(op, inputs, [output], options)[0]!;
  }

  opMulti<Op extends OperatorName>(op: Op, inputs: readonly (IrTensor | null)[], outputs: readonly OutputSpec[], options?: OptionsForOperator<Op>): IrTensor[] {
    const produced = this.graph.appendOp(
      op,
      this.layer.name,
      inputs,
      outputs.map((spec) => ({ name: this.uniqueName(spec.suffix), shape: spec.shape, dtype: spec.dtype ?? 'float32' })),
      options,
    );
    if (outputs.some((spec) => spec.keepFloat)) this.graph.ops[this.graph.ops.length - 1]!.keepFloat = true;
    return produced;
  }

  loop(inputs: readonly IrTensor[], outputs: readonly OutputSpec[], graphs: IrLoop): IrTensor[] {
    const produced = this.opMulti('WHILE', inputs, outputs);
    this.graph.ops[this.graph.ops.length - 1]!.loop = graphs;
    return produced;
  }

  activation(name: string, x: IrTensor): IrTensor {
    if (name === 'linear') return x;
    const lowering = this.activations(name);
    if (!lowering) this.fail(`activation '${name}' has no TFLite lowering (supported: see ACTIVATION_LOWERINGS in src/tflite/lower/activations.ts)`);
    return lowering(this, x);
  }

  fail(problem: string): never {
    throw new LayerNotLowerable(problem);
  }
}
