// The backwards walk from integer values that decides which operators of a full-int8 model compute
// indices (./index-values.ts), on hand-built IR graphs.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { IrGraph, type IrTensor } from '../ir/index.ts';
import { indexOperators } from './index-values.ts';

const f32 = (shape: number[]) => ({ shape, dtype: 'float32' as const });
const i32 = (shape: number[]) => ({ shape, dtype: 'int32' as const });

function constant(graph: IrGraph, name: string, data: Tensor): IrTensor {
  return graph.addValue({ name, shape: data.shape, dtype: data.dtype === 'int32' ? 'int32' : 'float32', data });
}

/** Layer names of the operators found, in graph order. */
const layersOf = (graph: IrGraph) => {
  const found = indexOperators(graph);
  return graph.ops.filter((op) => found.has(op)).map((op) => op.layer);
};

describe('indexOperators', () => {
  it('follows a computed gather index back through the float arithmetic and casts to the graph input', () => {
    // gather(t, (x * 4).long() + offsets) + x: the shape of shape_gather_constant_varying_rows after lowering.
    const g = new IrGraph();
    const x = g.addValue({ name: 'x', ...f32([2, 3]) });
    g.inputs.push(x.id);
    const [scaled] = g.appendOp('MUL', 'mul', [x, constant(g, 'four', new Tensor('float32', [], new Float32Array([4])))], [{ name: 'mul', ...f32([2, 3]) }]);
    const [ids] = g.appendOp('CAST', 'long', [scaled!], [{ name: 'long/int32', ...i32([2, 3]) }]);
    const [idsFloat] = g.appendOp('CAST', 'long', [ids!], [{ name: 'long', ...f32([2, 3]) }]);
    const [offset] = g.appendOp('ADD', 'offsets', [idsFloat!, constant(g, 'offsets', new Tensor('float32', [2, 3], new Float32Array([0, 4, 8, 12, 16, 20])))], [{ name: 'offsets', ...f32([2, 3]) }]);
    const [flat] = g.appendOp('CAST', 'lookup', [offset!], [{ name: 'lookup/ids', ...i32([2, 3]) }]);
    const [rows] = g.appendOp('GATHER', 'lookup', [constant(g, 'table', new Tensor('float32', [24], new Float32Array(24))), flat!], [{ name: 'lookup', ...f32([2, 3]) }], { axis: 0 });
    const [sum] = g.appendOp('ADD', 'add', [rows!, x], [{ name: 'add', ...f32([2, 3]) }]);
    g.outputs.push({ id: sum!.id, name: 'output_0' });

    // Not the GATHER (its output is a float activation) nor what reads it.
    expect(layersOf(g)).toEqual(['mul', 'long', 'long', 'offsets', 'lookup']);
    expect([...indexOperators(g)].map((op) => op.op).sort()).toEqual(['ADD', 'CAST', 'CAST', 'CAST', 'MUL']);
  });

  it('follows a gather whose gathered values are ids, and the comparison selecting between ids', () => {
    // e(where(x > 0.5, ids_a, ids_b)): the condition and both branches compute the embedding's ids.
    const g = new IrGraph();
    const x = g.addValue({ name: 'x', ...f32([4]) });
    g.inputs.push(x.id);
    const [relu] = g.appendOp('RELU', 'act', [x], [{ name: 'act', ...f32([4]) }]);
    const [condition] = g.appendOp('GREATER', 'cond', [relu!, constant(g, 'half', new Tensor('float32', [], new Float32Array([0.5])))], [{ name: 'cond', shape: [4], dtype: 'bool' }]);
    const [scaled] = g.appendOp('MUL', 'scale', [x, constant(g, 'three', new Tensor('float32', [], new Float32Array([3])))], [{ name: 'scale', ...f32([4]) }]);
    const [ids] = g.appendOp('CAST', 'ids', [scaled!], [{ name: 'ids', ...i32([4]) }]);
    const [typeIds] = g.appendOp('GATHER', 'types', [constant(g, 'type_table', new Tensor('float32', [12], new Float32Array(12))), ids!], [{ name: 'types', ...f32([4]) }], { axis: 0 });
    const [chosen] = g.appendOp('SELECT_V2', 'where', [condition!, typeIds!, constant(g, 'zero', new Tensor('float32', [], new Float32Array([0])))], [{ name: 'where', ...f32([4]) }]);
    const [embeddingIds] = g.appendOp('CAST', 'emb', [chosen!], [{ name: 'emb/ids', ...i32([4]) }]);
    const [embedded] = g.appendOp('GATHER', 'emb', [constant(g, 'embeddings', new Tensor('float32', [2, 8], new Float32Array(16))), embeddingIds!], [{ name: 'emb', ...f32([4, 8]) }], { axis: 0 });
    const [out] = g.appendOp('TANH', 'out', [embedded!], [{ name: 'out', ...f32([4, 8]) }]);
    g.outputs.push({ id: out!.id, name: 'output_0' });

    expect(layersOf(g)).toEqual(['act', 'cond', 'scale', 'ids', 'types', 'where', 'emb']);
    expect([...indexOperators(g)].some((op) => op.op === 'GATHER' && op.layer === 'emb')).toBe(false);
  });

  it('finds nothing in a graph without integer values, and does not walk through TOPK_V2 or WHILE', () => {
    const g = new IrGraph();
    const x = g.addValue({ name: 'x', ...f32([1, 8]) });
    g.inputs.push(x.id);
    const [h] = g.appendOp('FULLY_CONNECTED', 'fc', [x, constant(g, 'w', new Tensor('float32', [8, 8], new Float32Array(64))), null], [{ name: 'fc', ...f32([1, 8]) }]);
    const [y] = g.appendOp('SOFTMAX', 'softmax', [h!], [{ name: 'softmax', ...f32([1, 8]) }], { beta: 1 });
    expect(indexOperators(g).size).toBe(0);

    // top-k ids of the scores gather rows: the scores are not index arithmetic (int8 keeps their order).
    const [, topIds] = g.appendOp(
      'TOPK_V2',
      'topk',
      [y!, constant(g, 'k', new Tensor('int32', [1], new Int32Array([2])))],
      [
        { name: 'topk/values', ...f32([1, 2]) },
        { name: 'topk/ids', ...i32([1, 2]) },
      ],
    );
    const [picked] = g.appendOp('GATHER', 'pick', [constant(g, 'rows', new Tensor('float32', [8, 4], new Float32Array(32))), topIds!], [{ name: 'pick', ...f32([1, 2, 4]) }], { axis: 0 });
    g.outputs.push({ id: picked!.id, name: 'output_0' });
    expect(layersOf(g)).toEqual([]);
  });

  it('keeps integer arithmetic on an int32 graph input (RoBERTa position ids) and nothing downstream of the lookup', () => {
    // position ids = cumsum(ids != pad) * (ids != pad) + pad, in float between casts, then the position embedding.
    const g = new IrGraph();
    const tokens = g.addValue({ name: 'tokens', ...i32([1, 8]) });
    g.inputs.push(tokens.id);
    const pad = constant(g, 'pad', new Tensor('int32', [], new Int32Array([1])));
    const [mask] = g.appendOp('NOT_EQUAL', 'ne', [tokens, pad], [{ name: 'ne', shape: [1, 8], dtype: 'bool' }]);
    const [maskFloat] = g.appendOp('CAST', 'mask', [mask!], [{ name: 'mask', ...f32([1, 8]) }]);
    const [running] = g.appendOp('CUMSUM', 'cumsum', [maskFloat!, constant(g, 'axis', new Tensor('int32', [], new Int32Array([1])))], [{ name: 'cumsum', ...f32([1, 8]) }]);
    const [masked] = g.appendOp('MUL', 'masked', [running!, maskFloat!], [{ name: 'masked', ...f32([1, 8]) }]);
    const [shifted] = g.appendOp('ADD', 'plus_pad', [masked!, constant(g, 'padf', new Tensor('float32', [], new Float32Array([1])))], [{ name: 'plus_pad', ...f32([1, 8]) }]);
    const [positions] = g.appendOp('CAST', 'positions', [shifted!], [{ name: 'positions', ...i32([1, 8]) }]);
    const [embedded] = g.appendOp('GATHER', 'position_embeddings', [constant(g, 'table', new Tensor('float32', [16, 4], new Float32Array(64))), positions!], [{ name: 'pe', ...f32([1, 8, 4]) }], {
      axis: 0,
    });
    const [normed] = g.appendOp('MUL', 'scale', [embedded!, maskFloat!], [{ name: 'scale', ...f32([1, 8, 4]) }]);
    g.outputs.push({ id: normed!.id, name: 'output_0' });

    expect(layersOf(g)).toEqual(['ne', 'mask', 'cumsum', 'masked', 'plus_pad', 'positions']);
  });
});
