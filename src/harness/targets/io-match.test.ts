import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { IoMatchError, matchIo, toGoldenOutputs, toModelInputs } from './io-match.ts';

const where = { file: 'model.tflite', golden: 'net' };
const golden = (inputs: number[][], outputs: number[][]) => ({
  inputs: inputs.map((shape, i) => ({ name: `input_${i}`, shape })),
  outputs: outputs.map((shape, i) => ({ name: `output_${i}`, shape })),
});
const ports = (list: Array<[string, Array<number | null>]>) => list.map(([name, shape]) => ({ name, shape, dtype: 'float32' }));

describe('matching a model file to a golden', () => {
  it('pairs by name through converter decorations, in any order, each in the layout its shape fits', () => {
    const binding = matchIo(
      golden(
        [
          [1, 3, 8, 6],
          [1, 5],
        ],
        [
          [1, 10],
          [1, 4, 8, 6],
        ],
      ),
      {
        inputs: ports([
          ['serving_default_input_1:0', [1, 5]],
          ['serving_default_input_0:0', [1, 8, 6, 3]],
        ]),
        outputs: ports([
          ['output_1', [1, 4, 8, 6]],
          ['output_0', [null, 10]],
        ]),
      },
      where,
    );
    expect(binding.pairedBy).toEqual({ inputs: 'name', outputs: 'name' });
    expect(binding.inputs.map((p) => [p.model, p.golden, p.layout])).toEqual([
      [0, 1, 'channels-first'],
      [1, 0, 'channels-last'],
    ]);
    expect(binding.outputs.map((p) => [p.golden, p.model, p.layout])).toEqual([
      [0, 1, 'channels-first'],
      [1, 0, 'channels-first'],
    ]);
  });

  it('moves the data: an NCHW golden tensor reaches an NHWC model input and comes back unchanged', () => {
    const binding = matchIo(golden([[1, 2, 3, 4]], [[1, 2, 3, 4]]), { inputs: ports([['x', [1, 3, 4, 2]]]), outputs: ports([['y', [1, 3, 4, 2]]]) }, where);
    const x = new Tensor(
      'float32',
      [1, 2, 3, 4],
      Float32Array.from({ length: 24 }, (_, i) => i),
    );
    const [m] = toModelInputs(binding, [x]);
    expect(m!.shape).toEqual([1, 3, 4, 2]);
    expect(m!.data[1]).toBe(x.data[12]); // [0, 0, 0, c=1] is [0, c=1, 0, 0] in NCHW
    expect([...toGoldenOutputs(binding, [m!])[0]!.data]).toEqual([...x.data]);
  });

  it('falls back to positions, then to shapes, when the names say nothing', () => {
    const byPosition = matchIo(golden([[1, 3, 8, 8]], [[1, 10]]), { inputs: ports([['pixels', [1, 3, 8, 8]]]), outputs: ports([['logits', [1, 10]]]) }, where);
    expect(byPosition.pairedBy.inputs).toBe('position');
    const byShape = matchIo(
      golden(
        [
          [1, 7],
          [1, 5],
        ],
        [[1, 2]],
      ),
      {
        inputs: ports([
          ['a', [1, 5]],
          ['b', [1, 7]],
        ]),
        outputs: ports([['y', [1, 2]]]),
      },
      where,
    );
    expect(byShape.pairedBy.inputs).toBe('shape');
    expect(byShape.inputs.map((p) => p.golden)).toEqual([1, 0]);
  });

  it('refuses a symmetric shape unless the layout is given, and names both sides when nothing fits', () => {
    const square = { inputs: ports([['x', [1, 4, 4, 4]]]), outputs: ports([['y', [1, 4]]]) };
    expect(() => matchIo(golden([[1, 4, 4, 4]], [[1, 4]]), square, where)).toThrow(/both channels-first and channels-last; say which with --layout/);
    expect(matchIo(golden([[1, 4, 4, 4]], [[1, 4]]), square, { ...where, layout: 'channels-last' }).inputs[0]!.layout).toBe('channels-last');
    const wrong = () => matchIo(golden([[1, 3, 32, 32]], [[1, 10]]), { inputs: ports([['input_0', [1, 3, 64, 64]]]), outputs: ports([['output_0', [1, 10]]]) }, where);
    expect(wrong).toThrow(IoMatchError);
    expect(wrong).toThrow(
      /input_0 \[1, 3, 32, 32\] fits input_0 \[1, 3, 64, 64\] in neither layout.*golden inputs \(PyTorch layout\): input_0 \[1, 3, 32, 32\]; model.tflite inputs: input_0 \[1, 3, 64, 64\]/,
    );
    expect(() =>
      matchIo(
        golden(
          [
            [1, 3],
            [1, 3],
          ],
          [[1, 3]],
        ),
        { inputs: ports([['x', [1, 3]]]), outputs: ports([['y', [1, 3]]]) },
        where,
      ),
    ).toThrow(/has 1 input\(s\) but golden net has 2/);
  });
});
