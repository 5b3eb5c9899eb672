// Writer -> reader round trips, and the layout rules the official converter follows.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/index.ts';
import { TfliteGraphBuilder, TfliteModelError, optionsWithDefaults, readTflite, validateModel, writeTflite, type KnownOperator, type TfliteModel } from './index.ts';
import { createTfliteRunner } from '../runtimes/tflite/index.ts';
import { fusedLstmModel } from './testing/fused-lstm.ts';
import { runningSumModel } from './testing/while-loop.ts';

function sampleModel(): TfliteModel {
  const g = new TfliteGraphBuilder();
  const x = g.input('image', 'float32', [1, 8, 8, 3]);
  const filter = Tensor.fromNumbers(
    [4, 3, 3, 3],
    Array.from({ length: 108 }, (_, i) => i / 100 - 0.5),
  );
  const w = g.constant('conv.weight', filter);
  const b = g.constant('conv.bias', Tensor.fromNumbers([4], [0.1, 0.2, 0.3, 0.4]));
  const c = g.activation('conv', 'float32', [1, 8, 8, 4]);
  g.op('CONV_2D', [x, w, b], [c], { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU6', dilationWFactor: 1 });
  const pool = g.activation('pool', 'float32', [1, 4, 4, 4]);
  g.op('AVERAGE_POOL_2D', [c], [pool], { padding: 'VALID', strideW: 2, strideH: 2, filterWidth: 2, filterHeight: 2 });
  const shape = g.int32Constant('flatten.shape', [1, 64]);
  const flat = g.activation('flatten', 'float32', [1, 64]);
  g.op('RESHAPE', [pool, shape], [flat], { newShape: [1, 64] });
  const gelu = g.activation('gelu', 'float32', [1, 64]);
  g.op('GELU', [flat], [gelu], { approximate: true });
  const logits = g.activation('logits', 'float32', [1, 64]);
  g.op('SOFTMAX', [gelu], [logits], { beta: 1 });
  const second = g.activation('gelu2', 'float32', [1, 64]);
  g.op('GELU', [logits], [second], { approximate: true });
  g.output(second, logits);
  return g.build('sample for round trips');
}

describe('writer -> reader round trip', () => {
  it('gives back the tensors, data, operators with options, graph I/O and description', () => {
    const model = sampleModel();
    const file = readTflite(writeTflite(model));
    const back = file.model;
    expect(back.description).toBe('sample for round trips');
    expect(back.inputs).toEqual(model.inputs);
    expect(back.outputs).toEqual(model.outputs);
    expect(back.tensors.map((t) => [t.name, t.type, [...t.shape]])).toEqual(model.tensors.map((t) => [t.name, t.type, [...t.shape]]));
    model.tensors.forEach((tensor, i) => {
      expect(back.tensors[i]!.data ? [...back.tensors[i]!.data!] : undefined).toEqual(tensor.data ? [...tensor.data] : undefined);
    });
    expect(back.operators.map((o) => o.op)).toEqual(['CONV_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'GELU', 'SOFTMAX', 'GELU']);
    back.operators.forEach((operator, k) => {
      const original = model.operators[k] as KnownOperator;
      expect(operator.op).toBe(original.op);
      expect(operator.inputs).toEqual(original.inputs);
      expect(operator.outputs).toEqual(original.outputs);
      if (operator.op !== 'OPAQUE') {
        // The writer leaves out schema defaults; the reader fills them back in.
        expect(operator.options).toEqual(optionsWithDefaults(original.op, original.options as Record<string, never>));
      }
    });
  });

  it('keeps quantization parameters, per-channel axis included, and int64 zero points', () => {
    const g = new TfliteGraphBuilder();
    const x = g.input('x', 'int8', [1, 4, 4, 2], { scale: [0.05], zeroPoint: [-3], quantizedDimension: 0, min: [-6.25], max: [6.5] });
    const w = g.constant('w', new Tensor('int8', [3, 1, 1, 2], Int8Array.from([1, -2, 3, -4, 5, -6])), {
      scale: [0.1, 0.2, 0.3],
      zeroPoint: [0, 0, 0],
      quantizedDimension: 0,
    });
    const b = g.constant('b', new Tensor('int32', [3], Int32Array.from([100, -200, 300])), { scale: [0.005, 0.01, 0.015], zeroPoint: [0, 0, 0], quantizedDimension: 0 });
    const y = g.activation('y', 'int8', [1, 4, 4, 3], { scale: [0.07], zeroPoint: [5], quantizedDimension: 0 });
    g.op('CONV_2D', [x, w, b], [y], { padding: 'VALID', strideW: 1, strideH: 1 });
    g.output(y);
    const back = readTflite(writeTflite(g.build())).model;
    const f32 = (values: readonly number[]) => values.map((v) => Math.fround(v));
    expect(back.tensors[0]!.quantization).toEqual({ scale: f32([0.05]), zeroPoint: [-3], quantizedDimension: 0, min: f32([-6.25]), max: f32([6.5]) });
    expect(back.tensors[1]!.quantization).toEqual({ scale: f32([0.1, 0.2, 0.3]), zeroPoint: [0, 0, 0], quantizedDimension: 0 });
    expect(back.tensors[3]!.quantization).toEqual({ scale: f32([0.07]), zeroPoint: [5], quantizedDimension: 0 });
    expect([...new Int8Array(back.tensors[1]!.data!.slice().buffer)]).toEqual([1, -2, 3, -4, 5, -6]);
  });
});

describe('variable tensors', () => {
  it('keeps Tensor.is_variable (the fused LSTM state tensors) and the 24 inputs with -1 for the absent ones', () => {
    const model = fusedLstmModel({ state: 'variable' });
    const back = readTflite(writeTflite(model)).model;
    const variables = back.tensors.flatMap((tensor, i) => (tensor.isVariable ? [i] : []));
    expect(variables.map((i) => back.tensors[i]!.name)).toEqual(['output_state', 'cell_state']);
    for (const i of variables) expect(back.tensors[i]!.data).toBeUndefined();
    const [lstm] = back.operators;
    expect(lstm!.op).toBe('UNIDIRECTIONAL_SEQUENCE_LSTM');
    expect(lstm!.inputs).toHaveLength(24);
    expect(lstm!.inputs).toEqual(model.operators[0]!.inputs);
    expect([lstm!.inputs[18], lstm!.inputs[19]]).toEqual(variables);
    expect(lstm!.op === 'UNIDIRECTIONAL_SEQUENCE_LSTM' && lstm!.options).toEqual({
      fusedActivationFunction: 'TANH',
      cellClip: 0,
      projClip: 0,
      timeMajor: false,
      asymmetricQuantizeInputs: false,
      diagonalRecurrentTensors: false,
    });
    // Nothing else turns variable on the way.
    expect(readTflite(writeTflite(fusedLstmModel({ state: 'constant' }))).model.tensors.some((t) => t.isVariable)).toBe(false);
  });

  it('refuses a variable tensor with data, as a graph input, or as an operator output', () => {
    const model: TfliteModel = {
      description: '',
      tensors: [
        { name: 'x', type: 'float32', shape: [1, 2], isVariable: true },
        { name: 'held', type: 'float32', shape: [1, 2], data: new Uint8Array(8), isVariable: true },
        { name: 'y', type: 'float32', shape: [1, 2], isVariable: true },
      ],
      operators: [{ op: 'ADD', inputs: [0, 1], outputs: [2] }],
      inputs: [0],
      outputs: [2],
    };
    expect(() => validateModel(model)).toThrow(/"held" is a variable tensor with constant data[\s\S]*graph input tensor 0 "x" is a variable tensor[\s\S]*lists variable tensor 2 "y" as an output/);
  });
});

describe('file layout', () => {
  it('has identifier TFL3, schema version 3, an empty buffer 0, one subgraph and a serving_default signature', () => {
    const bytes = writeTflite(sampleModel());
    expect(new TextDecoder().decode(bytes.subarray(4, 8))).toBe('TFL3');
    const file = readTflite(bytes);
    expect(file.schemaVersion).toBe(3);
    expect(file.bufferSizes[0]).toBe(0);
    expect(file.subgraphCount).toBe(1);
    expect(file.signatures).toEqual([
      {
        key: 'serving_default',
        inputs: [{ name: 'image', tensor: 0 }],
        outputs: [
          { name: 'gelu2', tensor: file.model.outputs[0] },
          { name: 'logits', tensor: file.model.outputs[1] },
        ],
      },
    ]);
  });

  it('deduplicates identical constants into one buffer and leaves activations on buffer 0', () => {
    const g = new TfliteGraphBuilder();
    const x = g.input('x', 'float32', [1, 3]);
    const same = Tensor.fromNumbers([3], [1, 2, 3]);
    const a = g.constant('a', same);
    const b = g.constant('b', Tensor.fromNumbers([3], [1, 2, 3]));
    const c = g.constant('c', Tensor.fromNumbers([3], [1, 2, 4]));
    let t = x;
    for (const [k, constant] of [a, b, c].entries()) {
      const y = g.activation(`y${k}`, 'float32', [1, 3]);
      g.op('ADD', [t, constant], [y], {});
      t = y;
    }
    g.output(t);
    const file = readTflite(writeTflite(g.build()));
    const [bufferA, bufferB, bufferC] = [file.tensorBuffers[a]!, file.tensorBuffers[b]!, file.tensorBuffers[c]!];
    expect(bufferA).toBe(bufferB);
    expect(bufferC).not.toBe(bufferA);
    expect(file.tensorBuffers[x]).toBe(0);
    // sentinel + 2 distinct constants + the min_runtime_version metadata buffer
    expect(file.bufferSizes).toHaveLength(4);
    // Three ADDs with the same version share one operator code.
    expect(file.operatorCodes).toHaveLength(1);
  });

  it('sets both builtin code fields, clamping the deprecated byte at 127 for newer operators', () => {
    const file = readTflite(writeTflite(sampleModel()));
    const byName = new Map(file.operatorCodes.map((code) => [code.name, code]));
    expect(byName.get('CONV_2D')).toMatchObject({ builtinCode: 3, deprecatedBuiltinCode: 3 });
    expect(byName.get('GELU')).toMatchObject({ builtinCode: 150, deprecatedBuiltinCode: 127 });
    // Two GELU operators, one code.
    expect(file.operatorCodes.filter((code) => code.name === 'GELU')).toHaveLength(1);
  });

  it('records the minimum runtime version the operators need, in a 16-byte metadata buffer', () => {
    const file = readTflite(writeTflite(sampleModel()));
    const entry = file.metadata.find((m) => m.name === 'min_runtime_version');
    expect(entry?.bytes.byteLength).toBe(16);
    // GELU first shipped in TFLite 2.9.0, the newest operator in the sample.
    expect(file.minRuntimeVersion).toBe('2.9.0');
  });

  // TRANSPOSE's version depends on the rank (op_version.cc: above 4-D version 4, above 5-D version 6), and
  // runtimes before 2.12.0 register no version 6 (runtime_version.cc): a rank-6 TRANSPOSE (pixel_shuffle's)
  // labelled version 1 would load in an old runtime that cannot run it.
  it.each([
    { rank: 4, version: 1, runtime: '1.6.0' },
    { rank: 5, version: 4, runtime: '2.3.0' },
    { rank: 6, version: 6, runtime: '2.12.0' },
  ])('gives a rank-$rank TRANSPOSE version $version and minimum runtime $runtime; LiteRT runs it', async ({ rank, version, runtime }) => {
    const g = new TfliteGraphBuilder();
    const shape = Array.from({ length: rank }, (_, i) => i + 1);
    const perm = Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const x = g.input('x', 'float32', shape);
    const y = g.activation('y', 'float32', [...shape].reverse());
    g.op('TRANSPOSE', [x, g.constant('perm', new Tensor('int32', [rank], Int32Array.from(perm)))], [y], {});
    g.output(y);
    const bytes = writeTflite(g.build());
    const file = readTflite(bytes);
    expect(file.operatorCodes.find((code) => code.name === 'TRANSPOSE')?.version).toBe(version);
    expect(file.minRuntimeVersion).toBe(runtime);
    const input = new Tensor(
      'float32',
      shape,
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
    );
    const runner = await createTfliteRunner(bytes, { name: `transpose rank ${rank}` });
    try {
      const [out] = await runner.run([input]);
      expect(out!.shape).toEqual([...shape].reverse());
      expect(Array.from(out!.data as Float32Array)).toEqual(Array.from(input.permute(perm).data as Float32Array));
    } finally {
      await runner.dispose();
    }
  });

  it('aligns constant data to 16 bytes', () => {
    const bytes = writeTflite(sampleModel());
    const file = readTflite(bytes);
    for (const tensor of file.model.tensors) {
      // The reader's data are views into `bytes`: their offset in the file is relative to it.
      if (tensor.data) expect((tensor.data.byteOffset - bytes.byteOffset) % 16).toBe(0);
    }
  });
});

describe('model validation', () => {
  it('lists every problem of a broken model at once', () => {
    const model: TfliteModel = {
      description: '',
      tensors: [
        { name: 'x', type: 'float32', shape: [1, 2] },
        { name: 'w', type: 'float32', shape: [2, 2], data: new Uint8Array(12) },
        { name: 'y', type: 'float32', shape: [1, 2] },
      ],
      operators: [{ op: 'FULLY_CONNECTED', inputs: [0, 1, 7], outputs: [2] }],
      inputs: [0],
      outputs: [2, 5],
    };
    expect(() => validateModel(model)).toThrow(TfliteModelError);
    try {
      validateModel(model);
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('"w" is float32[2, 2] (16 bytes) but holds 12 bytes');
      expect(message).toContain('reads tensor 7, which does not exist');
      expect(message).toContain('graph output 5 is not a tensor index');
    }
  });

  it('refuses an option the table does not have, and an enum value it does not know', () => {
    const g = new TfliteGraphBuilder();
    const x = g.input('x', 'float32', [1, 2]);
    const y = g.activation('y', 'float32', [1, 2]);
    g.op('SOFTMAX', [x], [y], { beta: 1, axis: 2 } as never);
    g.output(y);
    expect(() => writeTflite(g.build())).toThrow(/SoftmaxOptions has no field "axis"/);
    const h = new TfliteGraphBuilder();
    const a = h.input('a', 'float32', [1, 2]);
    const b = h.activation('b', 'float32', [1, 2]);
    h.op('ADD', [a, a], [b], { fusedActivationFunction: 'SWISH' as never });
    h.output(b);
    expect(() => writeTflite(h.build())).toThrow(/fusedActivationFunction = "SWISH" is not a valid enum/);
  });
});

describe('loop subgraphs (WHILE)', () => {
  it('writes the condition and body as subgraphs 1 and 2 and reads them back', () => {
    const model = runningSumModel(4);
    const bytes = writeTflite(model);
    const file = readTflite(bytes);
    expect(file.subgraphCount).toBe(3);
    const [cond, body] = file.model.subgraphs!;
    expect([cond!.name, body!.name]).toEqual(['running_sum_cond', 'running_sum_body']);
    expect(body!.operators.map((op) => op.op)).toEqual(['GATHER', 'ADD', 'CONCATENATION', 'DYNAMIC_UPDATE_SLICE', 'ADD']);
    expect(cond!.tensors.find((t) => t.name === 'running')!.type).toBe('bool');
    const loop = file.model.operators[0] as KnownOperator;
    expect(loop.op).toBe('WHILE');
    expect(loop.options).toEqual({ condSubgraphIndex: 1, bodySubgraphIndex: 2 });
    // Constants of every subgraph land in the shared buffer table (the two zero int32 [1] share one).
    expect(body!.tensors.find((t) => t.name === 'one')!.data).toEqual(new Uint8Array([1, 0, 0, 0]));
    expect(writeTflite(file.model)).toEqual(bytes);
  });

  it('runs in LiteRT: step t of the output is the sum of rows 0..t, and a second run starts over', async () => {
    const steps = 5;
    const runner = await createTfliteRunner(writeTflite(runningSumModel(steps)), { name: 'running sum' });
    try {
      const x = Tensor.fromNumbers(
        [1, steps, 3],
        Array.from({ length: steps * 3 }, (_, i) => (i % 7) - 2.5),
      );
      const expected = new Float32Array(steps * 3);
      for (let t = 0; t < steps; t++) for (let c = 0; c < 3; c++) expected[t * 3 + c] = (t > 0 ? expected[(t - 1) * 3 + c]! : 0) + (x.data as Float32Array)[t * 3 + c]!;
      for (let run = 0; run < 2; run++) {
        const [sums, total] = await runner.run([x]);
        expect(Array.from(sums!.data as Float32Array)).toEqual(Array.from(expected));
        expect(Array.from(total!.data as Float32Array)).toEqual(Array.from(expected.subarray((steps - 1) * 3)));
      }
    } finally {
      await runner.dispose();
    }
  });

  it('refuses a WHILE naming a missing subgraph or whose body does not carry every loop value', () => {
    const missing = runningSumModel(3);
    (missing.operators[0] as { options: unknown }).options = { condSubgraphIndex: 1, bodySubgraphIndex: 7 };
    expect(() => validateModel(missing)).toThrow(/operator 0 \(WHILE\): body subgraph 7 does not exist \(subgraphs 1\.\.2\)/);
    const short = runningSumModel(3);
    short.subgraphs![1]!.outputs.pop();
    expect(() => validateModel(short)).toThrow(/its body subgraph takes 4 and gives 3 values, the loop carries 4/);
    const broken = runningSumModel(3);
    broken.subgraphs![1]!.operators[1] = { ...(broken.subgraphs![1]!.operators[1] as KnownOperator), inputs: [99, 0] } as KnownOperator;
    expect(() => validateModel(broken)).toThrow(/subgraph 2 "running_sum_body": operator 1 \(ADD\) reads tensor 99, which does not exist/);
  });
});
