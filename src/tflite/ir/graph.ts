// The float graph (IR) a Keras model lowers to, before any quantization: values (activations, graph
// inputs, float32/int32 constants) and TFLite builtin operators in execution order. The graph
// passes (../lower/passes.ts) rewrite it in place; the emitters (../lower/emit.ts, ../quantize/int8.ts)
// turn it into a TfliteModel per variant. Shared by lowering and quantization, it imports neither.
import type { Tensor } from '../../tensor/index.ts';
import type { OperatorName } from '../schema/index.ts';

/** bool: comparison results, SELECT_V2 conditions and a WHILE condition's output. */
export type IrDType = 'float32' | 'int32' | 'bool';

export interface IrValue {
  readonly id: number;
  name: string;
  readonly shape: readonly number[];
  readonly dtype: IrDType;
  /** Constant content (float32 or int32); absent for activations and graph inputs. */
  data?: Tensor;
  /** The Keras layer whose output this value is (after fusion: the last layer fused into it). */
  layer?: string;
}

export interface IrOp {
  op: OperatorName;
  /** Value ids; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  options: Record<string, unknown>;
  /** The Keras layer this operator was lowered from. */
  layer: string;
  /** Layers whose operators were folded or fused into this one (./passes.ts). */
  fused?: string[];
  /**
   * Runs in float32 in a full-int8 model whatever its int8 rule says: set by a lowering that knows
   * the value depends on per-sample statistics whose range calibration cannot bound (a
   * normalization's mean and 1 / std over a few elements: docs/quantization.md).
   */
  keepFloat?: boolean;
  /**
   * WHILE only: the condition and body graphs. Their inputs are the loop values in the
   * operator's input order; the body's outputs are the next loop values, the condition's one
   * output is a bool. The emitters write them as subgraphs `<name>_cond` and `<name>_body` and
   * fill in the options' indices.
   */
  loop?: IrLoop;
}

export interface IrLoop {
  readonly name: string;
  readonly cond: IrGraph;
  readonly body: IrGraph;
}

/** The part of a value a lowering sees and hands around. */
export interface IrTensor {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: IrDType;
}

export class IrGraph {
  readonly values: IrValue[] = [];
  ops: IrOp[] = [];
  readonly inputs: number[] = [];
  /** Graph outputs with the names they are exposed under. */
  readonly outputs: Array<{ id: number; name: string }> = [];

  addValue(value: Omit<IrValue, 'id'>): IrValue {
    const full: IrValue = { ...value, id: this.values.length };
    this.values.push(full);
    return full;
  }

  /** Appends one operator of `layer` with new output values; `null` inputs are omitted optional inputs. */
  appendOp(op: OperatorName, layer: string, inputs: readonly (IrTensor | null)[], outputs: ReadonlyArray<{ name: string; shape: readonly number[]; dtype: IrDType }>, options: object = {}): IrValue[] {
    const produced = outputs.map((spec) => this.addValue({ name: spec.name, shape: [...spec.shape], dtype: spec.dtype }));
    this.ops.push({
      op,
      inputs: inputs.map((input) => (input === null ? -1 : input.id)),
      outputs: produced.map((value) => value.id),
      options: { ...options } as Record<string, unknown>,
      layer,
    });
    return produced;
  }

  value(id: number): IrValue {
    const value = this.values[id];
    if (!value) throw new RangeError(`IR value ${id} does not exist`);
    return value;
  }

  isConstant(id: number): boolean {
    return id >= 0 && this.values[id]?.data !== undefined;
  }

  /** Index of the operator that produces `id`, or -1 (graph input, constant). */
  producer(id: number): number {
    return this.ops.findIndex((op) => op.outputs.includes(id));
  }

  /** Indices of the operators that read `id`. */
  consumers(id: number): number[] {
    const result: number[] = [];
    this.ops.forEach((op, k) => op.inputs.includes(id) && result.push(k));
    return result;
  }

  isGraphOutput(id: number): boolean {
    return this.outputs.some((output) => output.id === id);
  }

  /** True when `id` feeds exactly one operator and is not a graph output: a fusion may swallow it. */
  hasSingleUse(id: number): boolean {
    return !this.isGraphOutput(id) && this.consumers(id).length === 1;
  }

  /** Drops operators whose outputs nobody reads (after fusions rewired the graph). */
  removeDeadOps(): void {
    let changed = true;
    while (changed) {
      changed = false;
      const used = new Set<number>(this.outputs.map((o) => o.id));
      for (const op of this.ops) for (const input of op.inputs) used.add(input);
      const kept = this.ops.filter((op) => op.outputs.some((out) => used.has(out)));
      if (kept.length !== this.ops.length) {
        this.ops = kept;
        changed = true;
      }
    }
  }
}
