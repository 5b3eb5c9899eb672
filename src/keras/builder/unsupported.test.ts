// An unsupported graph fails with ONE error that lists every unsupported op, with its node name,
// module path and type, before any Keras layer is built.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { parseCapturedGraph, type GraphNode } from '../../torch/index.ts';
import { UnsupportedOpsError, buildKerasModel } from './index.ts';

const module = (type: string, attributes: Record<string, unknown>, parameters: string[] = []) => ({ type, class: `torch.nn.${type}`, leaf: true, attributes, parameters, buffers: [] });
const node = (name: string, kind: 'module' | 'function', op: string, scope: string, input: string, output: string, extra: Partial<GraphNode> = {}): GraphNode => ({
  name,
  kind,
  op,
  scope,
  ...(kind === 'module' ? { module: scope } : {}),
  args: [{ value: input }],
  kwargs: {},
  outputs: [output],
  structure: 'tensor',
  ...extra,
});

// A model a user could write: an RReLU left in training mode (a random slope), an LSTM with projections (proj_size) over the flattened map, a determinant in
// the head, with supported ops in between and after them.
const graphJson = JSON.stringify({
  format: 'torchport-graph',
  version: 1,
  inputs: [{ name: 'input_0', value: 'v0' }],
  outputs: [{ name: 'output_0', value: 'v6' }],
  values: Object.fromEntries(
    [
      [1, 4, 8, 8],
      [1, 4, 8, 8],
      [1, 4, 8, 8],
      [1, 4, 64],
      [1, 4, 16],
      [1, 4, 16],
      [1, 4, 16],
    ].map((shape, i) => [`v${i}`, { shape, dtype: 'float32' }]),
  ),
  modules: {
    '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] },
    'features.0': module('RReLU', { lower: 0.125, upper: 0.3333333333333333, inplace: false, training: true }),
    rnn: module('LSTM', { input_size: 64, hidden_size: 16, num_layers: 1, bias: true, batch_first: true, bidirectional: false, proj_size: 8 }),
  },
  nodes: [
    node('features.0', 'module', 'RReLU', 'features.0', 'v0', 'v1'),
    node('features.relu', 'function', 'F.relu', 'features', 'v1', 'v2'),
    node('flatten', 'function', 'torch.flatten', '', 'v2', 'v3', { args: [{ value: 'v2' }, { const: 2 }] }),
    node('rnn', 'module', 'LSTM', 'rnn', 'v3', 'v4'),
    node('head.det', 'function', 'torch.linalg.det', 'head', 'v4', 'v5', { args: [{ value: 'v4' }] }),
    node('head.relu', 'function', 'F.relu', 'head', 'v5', 'v6'),
  ],
  constants: {},
});

describe('unsupported ops', () => {
  it('are all listed in one error, with node, module path and type', () => {
    const graph = parseCapturedGraph(graphJson, 'synthetic graph');
    const weights = new Map<string, Tensor<'float32'>>();
    let error: unknown;
    try {
      buildKerasModel(graph, { weights, constants: new Map() });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedOpsError);
    const unsupported = error as UnsupportedOpsError;
    expect(unsupported.code).toBe('E_UNSUPPORTED_OPS');
    expect(unsupported.ops.map(({ node, op, kind, modulePath }) => ({ node, op, kind, modulePath }))).toEqual([
      { node: 'features.0', op: 'RReLU', kind: 'module', modulePath: 'features.0' },
      { node: 'rnn', op: 'LSTM', kind: 'module', modulePath: 'rnn' },
      { node: 'head.det', op: 'torch.linalg.det', kind: 'function', modulePath: 'head' },
    ]);
    expect(unsupported.message).toMatch(/3 unsupported operation/);
    expect(unsupported.message).toMatch(/node 'features\.0': module RReLU at module path 'features\.0': RReLU in training mode draws a random slope per element: call model\.eval\(\)/);
    expect(unsupported.message).toMatch(/node 'rnn': module LSTM at module path 'rnn': proj_size \(an LSTM with projections\) has no Keras equivalent/);
    expect(unsupported.message).toMatch(/node 'head\.det': function torch\.linalg\.det at module path 'head'/);
  });
});

describe('conditions and gathers the builder refuses', () => {
  // input (1, 4, 6) -> a Linear-free chain: each node refers to v0 and a per-test index / condition.
  const refused = (nodes: GraphNode[], values: Record<string, { shape: number[]; dtype: string }>, constants: Record<string, { shape: number[]; dtype: string }> = {}) =>
    JSON.stringify({
      format: 'torchport-graph',
      version: 1,
      inputs: [{ name: 'input_0', value: 'v0' }],
      outputs: [{ name: 'output_0', value: nodes.at(-1)!.outputs[0] }],
      values: { v0: { shape: [1, 4, 6], dtype: 'float32' }, ...values },
      modules: { '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] } },
      nodes,
      constants,
    });

  it('names gathers at computed indices and one-argument torch.where (two constant index tensors convert)', () => {
    const json = refused(
      [
        node('ids', 'function', 'Tensor.long', '', 'v0', 'v1'),
        node('pick', 'function', 'torch.index_select', '', 'v0', 'v2', { args: [{ value: 'v0' }, { const: 2 }, { value: 'v1' }] }),
        node('both', 'function', 'Tensor.__getitem__', '', 'v2', 'v3', {
          args: [{ value: 'v2' }, { list: [{ slice: [{ const: null }, { const: null }, { const: null }] }, { constant: 'c0' }, { constant: 'c0' }] }],
        }),
        node('nonzero', 'function', 'torch.where', '', 'v3', 'v4', { args: [{ value: 'v3' }] }),
      ],
      { v1: { shape: [1, 4, 6], dtype: 'int64' }, v2: { shape: [1, 4, 6], dtype: 'float32' }, v3: { shape: [1, 2], dtype: 'float32' }, v4: { shape: [2], dtype: 'int64' } },
      { c0: { shape: [2], dtype: 'int64' } },
    );
    const constants = new Map([['c0', Tensor.fromNumbers([2], [0, 1]).toFloat32()]]);
    let error: unknown;
    try {
      buildKerasModel(parseCapturedGraph(json, 'synthetic graph'), { weights: new Map(), constants });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedOpsError);
    const message = (error as UnsupportedOpsError).message;
    expect((error as UnsupportedOpsError).ops.map((op) => op.node)).toEqual(['pick', 'nonzero']);
    expect(message).toMatch(/node 'pick': .*gathers at computed indices/);
    expect(message).toMatch(/node 'nonzero': .*torch\.where\(condition\) with one argument/);
  });
});

describe('cumsum the builder refuses', () => {
  it('names a dtype argument and an out-of-range dim, before building (a sum along the batch converts)', () => {
    const json = JSON.stringify({
      format: 'torchport-graph',
      version: 1,
      inputs: [{ name: 'input_0', value: 'v0' }],
      outputs: [{ name: 'output_0', value: 'v3' }],
      values: Object.fromEntries(['v0', 'v1', 'v2', 'v3'].map((id) => [id, { shape: [2, 4, 6], dtype: 'float32' }])),
      modules: { '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] } },
      nodes: [
        node('batch', 'function', 'torch.cumsum', '', 'v0', 'v1', { args: [{ value: 'v0' }, { const: 0 }] }),
        node('negative', 'function', 'Tensor.cumsum', '', 'v1', 'v2', { args: [{ value: 'v1' }, { const: -4 }] }),
        node('typed', 'function', 'torch.cumsum', '', 'v2', 'v3', { args: [{ value: 'v2' }, { const: 1 }], kwargs: { dtype: { const: 'torch.float64' } } }),
      ],
      constants: {},
    });
    let error: unknown;
    try {
      buildKerasModel(parseCapturedGraph(json, 'synthetic graph'), { weights: new Map(), constants: new Map() });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedOpsError);
    expect((error as UnsupportedOpsError).ops.map((op) => op.node)).toEqual(['negative', 'typed']);
    const message = (error as UnsupportedOpsError).message;
    expect(message).toMatch(/node 'negative': .*dim -4 is out of range for a rank-3 tensor/);
    expect(message).toMatch(/node 'typed': .*a dtype argument: the running sum or product is computed in float32/);
  });
});

describe('recurrent final states', () => {
  it("names c_n when it is read (h_n converts; an LSTM's final cell state does not)", () => {
    const lstm = {
      type: 'LSTM',
      class: 'torch.nn.LSTM',
      leaf: true,
      attributes: { input_size: 6, hidden_size: 3, num_layers: 1, bias: true, batch_first: true, bidirectional: false, proj_size: 0 },
      parameters: ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'],
      buffers: [],
    };
    const json = JSON.stringify({
      format: 'torchport-graph',
      version: 1,
      inputs: [{ name: 'input_0', value: 'v0' }],
      outputs: [{ name: 'output_0', value: 'v4' }],
      values: {
        v0: { shape: [1, 4, 6], dtype: 'float32' },
        v1: { shape: [1, 4, 3], dtype: 'float32' },
        v2: { shape: [1, 1, 3], dtype: 'float32' },
        v3: { shape: [1, 1, 3], dtype: 'float32' },
        v4: { shape: [1, 1, 3], dtype: 'float32' },
      },
      modules: { '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] }, rnn: lstm },
      nodes: [
        { ...node('rnn', 'module', 'LSTM', 'rnn', 'v0', 'v1'), outputs: ['v1', 'v2', 'v3'], structure: ['tensor', ['tensor', 'tensor']] },
        node('double', 'function', 'Tensor.mul', '', 'v3', 'v4', { args: [{ value: 'v3' }, { const: 2 }] }),
      ],
      constants: {},
    });
    const weights = new Map([
      ['rnn.weight_ih_l0', Tensor.zeros('float32', [12, 6])],
      ['rnn.weight_hh_l0', Tensor.zeros('float32', [12, 3])],
      ['rnn.bias_ih_l0', Tensor.zeros('float32', [12])],
      ['rnn.bias_hh_l0', Tensor.zeros('float32', [12])],
    ]);
    expect(() => buildKerasModel(parseCapturedGraph(json, 'synthetic graph'), { weights, constants: new Map() })).toThrow(
      /node 'rnn'.*the final cell state c_n is read; only the output sequence and h_n are supported/,
    );
  });
});

describe('recurrent initial states', () => {
  const graphWithInitialState = (hx: Record<string, unknown>) =>
    JSON.stringify({
      format: 'torchport-graph',
      version: 1,
      inputs: [{ name: 'input_0', value: 'v0' }],
      outputs: [{ name: 'output_0', value: 'v1' }],
      values: { v0: { shape: [1, 4, 6], dtype: 'float32' }, v1: { shape: [1, 4, 3], dtype: 'float32' }, v2: { shape: [1, 1, 3], dtype: 'float32' } },
      modules: {
        '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] },
        rnn: {
          type: 'GRU',
          class: 'torch.nn.GRU',
          leaf: true,
          attributes: { input_size: 6, hidden_size: 3, num_layers: 1, bias: true, batch_first: true, bidirectional: false },
          parameters: ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'],
          buffers: [],
        },
      },
      nodes: [{ ...node('rnn', 'module', 'GRU', 'rnn', 'v0', 'v1'), args: [{ value: 'v0' }, hx], outputs: ['v1', 'v2'], structure: ['tensor', 'tensor'] }],
      constants: { c0: { shape: [1, 1, 3], dtype: 'float32' } },
    });
  const weights = new Map([
    ['rnn.weight_ih_l0', Tensor.zeros('float32', [9, 6])],
    ['rnn.weight_hh_l0', Tensor.zeros('float32', [9, 3])],
    ['rnn.bias_ih_l0', Tensor.zeros('float32', [9])],
    ['rnn.bias_hh_l0', Tensor.zeros('float32', [9])],
  ]);
  const build = (hx: Record<string, unknown>, h0: number[]) =>
    buildKerasModel(parseCapturedGraph(graphWithInitialState(hx), 'synthetic graph'), { weights, constants: new Map([['c0', Tensor.fromNumbers([1, 1, 3], h0)]]) });

  it('accepts a constant all-zero h_0 (the same as none)', () => {
    expect(build({ constant: 'c0' }, [0, 0, 0]).model.layers.map((l) => l.getClassName())).toContain('TorchGRU');
  });

  it('refuses a non-zero constant h_0 and one computed from the inputs, by node', () => {
    expect(() => build({ constant: 'c0' }, [0, 0.5, 0])).toThrow(/node 'rnn'.*a non-zero initial state/);
    expect(() => build({ value: 'v0' }, [0, 0, 0])).toThrow(/node 'rnn'.*an initial state \(h_0 \/ c_0\) computed from the inputs/);
  });
});
