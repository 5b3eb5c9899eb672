// The transpose passes on hand-built float graphs: each graph runs in LiteRT before and after the
// passes, and the outputs must be equal bit for bit (the passes move data, never arithmetic) while
// the TRANSPOSE count drops.
import { describe, expect, it } from 'vitest';
import { createTfliteRunner } from '../../runtimes/tflite/index.ts';
import { STANDARD_NORMAL, Tensor, seededInput } from '../../tensor/index.ts';
import { IrGraph, type IrTensor } from '../ir/index.ts';
import { inspectTflite, writeTflite } from '../index.ts';
import { emitFloat } from './emit.ts';
import { optimize, type Rewrite } from './passes.ts';

/** A graph under construction: int32 constants, operators with one output of a given shape. */
class Draft {
  readonly graph = new IrGraph();

  input(shape: number[]): IrTensor {
    const value = this.graph.addValue({ name: `input_${this.graph.inputs.length}`, shape, dtype: 'float32' });
    this.graph.inputs.push(value.id);
    return value;
  }

  ints(values: number[]): IrTensor {
    return this.graph.addValue({ name: `c${this.graph.values.length}`, shape: [values.length], dtype: 'int32', data: new Tensor('int32', [values.length], Int32Array.from(values)) });
  }

  op(op: Parameters<IrGraph['appendOp']>[0], inputs: IrTensor[], shape: number[], options: object = {}): IrTensor {
    return this.graph.appendOp(op, `layer_${this.graph.ops.length}`, inputs, [{ name: `v${this.graph.values.length}`, shape, dtype: 'float32' }], options)[0]!;
  }

  transpose(x: IrTensor, perm: number[]): IrTensor {
    return this.op(
      'TRANSPOSE',
      [x, this.ints(perm)],
      perm.map((axis) => x.shape[axis]!),
    );
  }

  slice(x: IrTensor, begin: number[], size: number[]): IrTensor {
    return this.op(
      'SLICE',
      [x, this.ints(begin), this.ints(size)],
      size.map((s, i) => (s === -1 ? x.shape[i]! - begin[i]! : s)),
    );
  }

  product(a: IrTensor, b: IrTensor, shape: number[], adjX = false, adjY = false): IrTensor {
    return this.op('BATCH_MATMUL', [a, b], shape, { adjX, adjY, asymmetricQuantizeInputs: false });
  }

  output(...values: IrTensor[]): IrGraph {
    values.forEach((value, i) => this.graph.outputs.push({ id: value.id, name: `output_${i}` }));
    return this.graph;
  }
}

async function run(graph: IrGraph, inputs: Tensor[]): Promise<{ outputs: Tensor[]; histogram: Record<string, number> }> {
  const bytes = writeTflite(emitFloat(graph, 'fp32').model);
  const runner = await createTfliteRunner(bytes);
  try {
    return { outputs: await runner.run(inputs), histogram: inspectTflite(bytes).operatorHistogram };
  } finally {
    await runner.dispose();
  }
}

/** Runs `make()`'s graph as built and after the passes: equal outputs, and what changed. */
async function beforeAndAfter(make: () => IrGraph): Promise<{ before: Record<string, number>; after: Record<string, number>; rewrites: Rewrite[] }> {
  const reference = make();
  const inputs = reference.inputs.map((id, i) => seededInput(reference.value(id).shape, STANDARD_NORMAL, 7 + i));
  const before = await run(reference, inputs);
  const optimized = make();
  const rewrites = optimize(optimized, { fusableActivations: new Set() });
  const after = await run(optimized, inputs);
  expect(after.outputs.map((t) => t.shape)).toEqual(before.outputs.map((t) => t.shape));
  after.outputs.forEach((t, i) => expect(Array.from(t.data as Float32Array)).toEqual(Array.from(before.outputs[i]!.data as Float32Array)));
  return { before: before.histogram, after: after.histogram, rewrites };
}

/**
 * LeViT's attention after its projection: [B, N, H, 2 * 4 + 6] split into q, k, v along the last
 * axis, q and v permuted to [B, H, N, D], k to [B, H, D, N]; softmax(q @ k) @ v.
 */
function headSplit(strided: boolean): IrGraph {
  const d = new Draft();
  const x = d.input([2, 5, 3, 14]);
  const part = (from: number, width: number): IrTensor =>
    strided
      ? // begin 4 on axis 1 is masked out (bit 1 of beginMask): the mask must move with its axis.
        d.op('STRIDED_SLICE', [x, d.ints([0, 4, 0, from]), d.ints([0, 5, 3, from + width]), d.ints([1, 1, 1, 1])], [2, 5, 3, width], {
          beginMask: 2,
          endMask: 1,
          ellipsisMask: 0,
          newAxisMask: 0,
          shrinkAxisMask: 0,
          offset: false,
        })
      : d.slice(x, [0, 0, 0, from], [-1, -1, -1, width]);
  const q = d.transpose(part(0, 4), [0, 2, 1, 3]);
  const k = d.transpose(part(4, 4), [0, 2, 3, 1]);
  const v = d.transpose(part(8, 6), [0, 2, 1, 3]);
  const scores = d.op('SOFTMAX', [d.product(q, k, [2, 3, 5, 5])], [2, 3, 5, 5], { beta: 1 });
  return d.output(d.product(scores, v, [2, 3, 5, 6]));
}

describe('transpose passes (exact: LiteRT outputs equal bit for bit before and after)', () => {
  it.each([
    ['SLICE', false],
    ['STRIDED_SLICE with begin and end masks', true],
  ])('a head split by %s: one TRANSPOSE above the slices instead of one per q, k, v (k read with adj_y)', async (_name, strided) => {
    const { before, after, rewrites } = await beforeAndAfter(() => headSplit(strided));
    expect(before['TRANSPOSE']).toBe(3);
    expect(after['TRANSPOSE']).toBe(1);
    expect(rewrites.map((r) => r.kind)).toEqual(['hoist-transpose']);
  });

  it('a TRANSPOSE swapping the last two axes of a product operand becomes adj_y', async () => {
    const make = () => {
      const d = new Draft();
      const [a, b] = [d.input([1, 2, 3, 4]), d.input([1, 2, 5, 4])];
      return d.output(d.product(a, d.transpose(b, [0, 1, 3, 2]), [1, 2, 3, 5]));
    };
    const { before, after } = await beforeAndAfter(make);
    expect(before['TRANSPOSE']).toBe(1);
    expect(after).toEqual({ BATCH_MATMUL: 1 });
  });

  it('a TRANSPOSE of a TRANSPOSE is one TRANSPOSE, none when they cancel', async () => {
    const make = (second: number[]) => () => {
      const d = new Draft();
      const x = d.input([1, 3, 4, 5]);
      return d.output(
        d.op(
          'RELU',
          [d.transpose(d.transpose(x, [0, 2, 3, 1]), second)],
          second.map((axis) => [1, 4, 5, 3][axis]!),
        ),
      );
    };
    expect((await beforeAndAfter(make([0, 2, 3, 1]))).after).toEqual({ TRANSPOSE: 1, RELU: 1 });
    expect((await beforeAndAfter(make([0, 3, 1, 2]))).after).toEqual({ RELU: 1 });
  });

  it('leaves transposes that are not the same data movement alone', async () => {
    // Two slices transposed differently, neither read by a product: nothing to share.
    const make = () => {
      const d = new Draft();
      const x = d.input([1, 4, 3, 6]);
      const a = d.transpose(d.slice(x, [0, 0, 0, 0], [-1, -1, -1, 3]), [0, 2, 1, 3]);
      const b = d.transpose(d.slice(x, [0, 0, 0, 3], [-1, -1, -1, 3]), [0, 1, 3, 2]);
      return d.output(d.op('RELU', [a], [1, 3, 4, 3]), d.op('RELU', [b], [1, 4, 3, 3]));
    };
    const { before, after, rewrites } = await beforeAndAfter(make);
    expect(after).toEqual(before);
    expect(rewrites).toEqual([]);
  });
});
