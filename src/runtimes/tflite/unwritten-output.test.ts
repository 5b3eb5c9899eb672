// Item 8 of issue 12: a TFLite graph whose output no operator writes makes LiteRT return stale memory.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { seededInput, STANDARD_NORMAL } from '../../tensor/index.ts';
import { TfliteGraphBuilder, inspectTflite, writeTflite } from '../../tflite/index.ts';
import { convertKerasToTflite } from '../../tflite/lower/index.ts';
import { TfliteRuntimeError, createTfliteRunner } from './index.ts';

describe('outputs no operator writes', () => {
  it('the runner refuses a graph whose output is its input, naming the output', async () => {
    const graph = new TfliteGraphBuilder();
    const x = graph.input('x', 'float32', [1, 4]);
    graph.output(x);
    const bytes = writeTflite(graph.build('identity'));
    await expect(createTfliteRunner(bytes, { name: 'identity.tflite' })).rejects.toThrow(TfliteRuntimeError);
    await expect(createTfliteRunner(bytes, { name: 'identity.tflite' })).rejects.toThrow(/identity\.tflite: output\(s\) "x" \(a graph input\) are never written by any operator/);
  });

  it('an identity Keras model (Dropout at inference) lowers to a graph that writes its output; LiteRT returns the input', async () => {
    const input = tf.input({ shape: [4, 5, 3] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dropout({ rate: 0.5 }).apply(input) as tf.SymbolicTensor });
    const x = seededInput([1, 4, 5, 3], STANDARD_NORMAL, 3);
    for (const quantize of ['fp32', 'fp16'] as const) {
      const { bytes } = await convertKerasToTflite(model, { quantize });
      expect(inspectTflite(bytes).operators.length).toBeGreaterThan(0);
      const runner = await createTfliteRunner(bytes);
      try {
        const [y] = await runner.run([x]);
        expect(Array.from(y!.toFloat32().data)).toEqual(Array.from(x.toFloat32().data));
      } finally {
        await runner.dispose();
      }
    }
    model.dispose();
  });
});
