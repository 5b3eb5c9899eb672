import { describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/index.ts';
import { TfliteGraphBuilder, formatTfliteInspection, inspectTflite, writeTflite } from './index.ts';

function quantizedModel(): Uint8Array {
  const g = new TfliteGraphBuilder();
  const x = g.input('image', 'float32', [1, 8, 8, 3]);
  const xq = g.activation('image_int8', 'int8', [1, 8, 8, 3], { scale: [0.02], zeroPoint: [-5], quantizedDimension: 0 });
  g.op('QUANTIZE', [x], [xq]);
  const w = g.constant('conv.weight', new Tensor('int8', [4, 3, 3, 3], new Int8Array(108).fill(3)), { scale: [0.1, 0.2, 0.3, 0.4], zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 });
  const b = g.constant('conv.bias', new Tensor('int32', [4], new Int32Array(4)), { scale: [0.002, 0.004, 0.006, 0.008], zeroPoint: [0, 0, 0, 0], quantizedDimension: 0 });
  const y = g.activation('conv', 'int8', [1, 8, 8, 4], { scale: [0.05], zeroPoint: [-128], quantizedDimension: 0 });
  g.op('CONV_2D', [xq, w, b], [y], { padding: 'SAME', strideW: 1, strideH: 1, fusedActivationFunction: 'RELU' });
  const y2 = g.activation('conv2', 'int8', [1, 8, 8, 4], { scale: [0.05], zeroPoint: [-128], quantizedDimension: 0 });
  g.op('CONV_2D', [xq, w, b], [y2], { padding: 'SAME', strideW: 1, strideH: 1 });
  const sum = g.activation('sum', 'int8', [1, 8, 8, 4], { scale: [0.1], zeroPoint: [-128], quantizedDimension: 0 });
  g.op('ADD', [y, y2], [sum], {});
  const out = g.activation('logits', 'float32', [1, 8, 8, 4]);
  g.op('DEQUANTIZE', [sum], [out]);
  g.output(out);
  return writeTflite(g.build('inspect me'));
}

describe('inspectTflite', () => {
  it('reports the histogram, tensors with quantization, buffers, I/O and signature', () => {
    const bytes = quantizedModel();
    const report = inspectTflite(bytes);
    expect(report.operatorHistogram).toEqual({ CONV_2D: 2, ADD: 1, DEQUANTIZE: 1, QUANTIZE: 1 });
    expect(Object.keys(report.operatorHistogram)[0]).toBe('CONV_2D');
    expect(report.fileBytes).toBe(bytes.byteLength);
    expect(report.description).toBe('inspect me');
    expect(report.inputs.map((t) => [t.name, t.type, t.shape])).toEqual([['image', 'float32', [1, 8, 8, 3]]]);
    expect(report.outputs.map((t) => t.name)).toEqual(['logits']);
    const weight = report.tensors.find((t) => t.name === 'conv.weight')!;
    expect(weight).toMatchObject({ type: 'int8', shape: [4, 3, 3, 3], bytes: 108, quantization: { perChannel: true, quantizedDimension: 0, zeroPoint: [0, 0, 0, 0] } });
    expect(weight.quantization!.scale).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    // Constants used twice are stored once.
    expect(report.buffers.sizes.filter((size) => size === 108)).toHaveLength(1);
    expect(report.signatures[0]!.key).toBe('serving_default');
    const conv = report.operators.find((o) => o.name === 'CONV_2D')!;
    expect(conv.version).toBe(3);
    expect(conv.options).toMatchObject({ padding: 'SAME', fusedActivationFunction: 'RELU' });
    // JSON-able as is (the CLI's --json).
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('renders a readable text report', () => {
    const text = formatTfliteInspection(inspectTflite(quantizedModel()));
    expect(text).toContain('operators (5):');
    expect(text).toMatch(/\s2 {2}CONV_2D/);
    expect(text).toContain('#0 image: float32[1, 8, 8, 3]');
    expect(text).toContain('conv.weight: int8[4, 3, 3, 3] q: per-channel dim 0, scale [0.1000, 0.2000, 0.3000, 0.4000]');
    expect(text).toContain('image_int8: int8[1, 8, 8, 3] q: scale 0.02000 zero point -5');
    expect(text).toContain('signature "serving_default": (image=#0) -> (logits=#');
  });
});
