// The int8 rule check: operators that copy int8 values (RESHAPE, CONCATENATION) need one set of
// parameters on both sides, LOGISTIC writes fixed ones. LiteRT shows what breaking the first does.
import { afterAll, describe, expect, it } from 'vitest';
import { createTfliteRunner } from '../../runtimes/tflite/index.ts';
import type { Runner } from '../../runtimes/index.ts';
import { Tensor } from '../../tensor/index.ts';
import { TfliteGraphBuilder, writeTflite, type Quantization } from '../index.ts';
import { int8ParameterProblems } from './index.ts';

const q = (scale: number, zeroPoint: number): Quantization => ({ scale: [scale], zeroPoint: [zeroPoint], quantizedDimension: 0 });

function reshape(outputZeroPoint: number) {
  const g = new TfliteGraphBuilder();
  const x = g.input('x', 'int8', [1, 6], q(0.1, 3));
  const shape = g.int32Constant('shape', [2, 3]);
  const y = g.activation('y', 'int8', [2, 3], q(0.1, outputZeroPoint));
  g.op('RESHAPE', [x, shape], [y], { newShape: [2, 3] });
  g.output(y);
  return g.build();
}

const opened: Runner[] = [];
afterAll(async () => {
  for (const runner of opened) await runner.dispose();
});

describe('int8ParameterProblems', () => {
  it('passes a RESHAPE on one set of parameters; names a zero point +1 on its output, which LiteRT reads one step lower everywhere', async () => {
    expect(int8ParameterProblems(reshape(3))).toEqual([]);
    const broken = reshape(4);
    expect(int8ParameterProblems(broken)).toEqual([
      'RESHAPE (operator 0) reads "x" with scale 1.0000e-1, zero point 3 but writes "y" with scale 1.0000e-1, zero point 4: ' +
        'its int8 kernel copies values without rescaling them (every value it copies from "x" is read 1 quantization step lower in "y"); full int8 requires equal parameters here',
    ]);
    const runner = await createTfliteRunner(writeTflite(broken), { name: 'reshape' });
    opened.push(runner);
    const input = new Tensor('int8', [1, 6], Int8Array.from([-100, -5, 0, 3, 50, 127]));
    const [output] = await runner.run([input]);
    const real = (values: ArrayLike<number>, zeroPoint: number) => Array.from(values, (v) => 0.1 * (v - zeroPoint));
    const shift = real(output!.data as Int8Array, 4).map((v, i) => v - real(input.data as Int8Array, 3)[i]!);
    for (const d of shift) expect(d).toBeCloseTo(-0.1, 9);
  });

  it('names a CONCATENATION operand on other parameters and a LOGISTIC that does not write its fixed ones', () => {
    const g = new TfliteGraphBuilder();
    const a = g.input('a', 'int8', [1, 2], q(0.05, 0));
    const b = g.input('b', 'int8', [1, 2], q(0.05, 1));
    const joined = g.activation('joined', 'int8', [1, 4], q(0.05, 0));
    g.op('CONCATENATION', [a, b], [joined], { axis: 1, fusedActivationFunction: 'NONE' });
    const squashed = g.activation('squashed', 'int8', [1, 4], q(1 / 256, -127));
    g.op('LOGISTIC', [joined], [squashed]);
    g.output(squashed);
    expect(int8ParameterProblems(g.build())).toEqual([
      expect.stringMatching(
        /^CONCATENATION \(operator 0\) reads "b" with scale 5\.0000e-2, zero point 1 but writes "joined" .* zero point 0: .*every value it copies from "b" is read 1 quantization step higher in "joined"/,
      ),
      'LOGISTIC (operator 1) writes "squashed" with scale 3.9063e-3, zero point -127; its int8 kernel always writes scale 3.9063e-3, zero point -128, so every value is read with the wrong parameters',
    ]);
  });
});
