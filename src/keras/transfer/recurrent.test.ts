// The recurrent transfer rules: PyTorch's two biases summed into Keras's one, the `_reverse`
// direction into a Bidirectional's backward layer, tfjs's hard_sigmoid default refused. The
// end-to-end check (outputs at 1e-5 against PyTorch) is the parity suite of the goldens
// lstm_text_classifier and gru_sequence.
import { tf } from '../../runtimes/tfjs/index.ts';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../tensor/index.ts';
import { WeightTransferError, transferWeights } from './index.ts';

const H = 2;
const IN = 3;
const counting = (shape: number[], offset: number) =>
  Tensor.fromNumbers(
    shape,
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => offset + i / 100),
  );

function lstmStateDict(directions: string[]): Map<string, Tensor> {
  const dict = new Map<string, Tensor>();
  directions.forEach((suffix, d) => {
    dict.set(`lstm.weight_ih_l0${suffix}`, counting([4 * H, IN], 10 * d + 1));
    dict.set(`lstm.weight_hh_l0${suffix}`, counting([4 * H, H], 10 * d + 2));
    dict.set(`lstm.bias_ih_l0${suffix}`, counting([4 * H], 10 * d + 3));
    dict.set(`lstm.bias_hh_l0${suffix}`, counting([4 * H], 10 * d + 4));
  });
  return dict;
}

const model = (layer: tf.layers.Layer) => {
  const input = tf.input({ shape: [4, IN] });
  return tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
};
const lstm = (args: Partial<Parameters<typeof tf.layers.lstm>[0]> = {}) => tf.layers.lstm({ units: H, returnSequences: true, recurrentActivation: 'sigmoid', name: 'lstm', ...args });

describe('recurrent transfer rules', () => {
  it('an LSTM takes the transposed weights and the sum of bias_ih and bias_hh', () => {
    const dict = lstmStateDict(['']);
    const m = model(lstm());
    const report = transferWeights(dict, m);
    expect(report.unused).toEqual([]);
    expect(report.assignments.find((a) => a.weight === 'bias')?.tensor).toBe('lstm.bias_ih_l0 + lstm.bias_hh_l0');
    const [kernel, , bias] = m.getLayer('lstm').getWeights();
    const expected = Array.from({ length: 4 * H }, (_, i) => 3 + i / 100 + 4 + i / 100);
    Array.from(bias!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    // Keras kernel (in, 4H) = weight_ih^T: element (j, g) is weight_ih[g, j].
    expect(kernel!.shape).toEqual([IN, 4 * H]);
    expect(kernel!.dataSync()[1 * 4 * H + 5]).toBeCloseTo(1 + (5 * IN + 1) / 100, 5);
  });

  it('a Bidirectional LSTM fills its backward layer from the _reverse tensors', () => {
    const dict = lstmStateDict(['', '_reverse']);
    const m = model(tf.layers.bidirectional({ layer: lstm({ name: 'inner' }) as unknown as tf.layers.RNN, mergeMode: 'concat', name: 'lstm' }));
    const report = transferWeights(dict, m);
    expect(report.unused).toEqual([]);
    expect(report.assignments.find((a) => a.weight === 'backward_inner/bias')?.tensor).toBe('lstm.bias_ih_l0_reverse + lstm.bias_hh_l0_reverse');
  });

  it('a SimpleRNN (alone and in Bidirectional) takes the transposed weights and the summed biases', () => {
    const dict = new Map<string, Tensor>();
    for (const [d, suffix] of ['', '_reverse'].entries()) {
      dict.set(`rnn.weight_ih_l0${suffix}`, counting([H, IN], 10 * d + 1));
      dict.set(`rnn.weight_hh_l0${suffix}`, counting([H, H], 10 * d + 2));
      dict.set(`rnn.bias_ih_l0${suffix}`, counting([H], 10 * d + 3));
      dict.set(`rnn.bias_hh_l0${suffix}`, counting([H], 10 * d + 4));
    }
    const forwardOnly = new Map([...dict].filter(([name]) => !name.endsWith('_reverse')));
    const single = model(tf.layers.simpleRNN({ units: H, returnSequences: true, activation: 'relu', name: 'rnn' }));
    expect(transferWeights(forwardOnly, single).unused).toEqual([]);
    const [kernel, , bias] = single.getLayer('rnn').getWeights();
    // bias_ih + bias_hh: (3 + u / 100) + (4 + u / 100).
    Array.from(bias!.dataSync()).forEach((v, u) => expect(v).toBeCloseTo(7 + (2 * u) / 100, 5));
    // Keras kernel (in, H) = weight_ih^T: element (j, u) is weight_ih[u, j].
    expect(kernel!.dataSync()[2 * H + 1]).toBeCloseTo(1 + (1 * IN + 2) / 100, 5);
    const both = model(tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: H, returnSequences: true, name: 'inner' }) as unknown as tf.layers.RNN, mergeMode: 'concat', name: 'rnn' }));
    const report = transferWeights(dict, both);
    expect(report.unused).toEqual([]);
    expect(report.assignments.find((a) => a.weight === 'backward_inner/bias')?.tensor).toBe('rnn.bias_ih_l0_reverse + rnn.bias_hh_l0_reverse');
    const elu = () => transferWeights(forwardOnly, model(tf.layers.simpleRNN({ units: H, returnSequences: true, activation: 'elu', name: 'rnn' })));
    expect(elu).toThrow(/PyTorch's RNN uses tanh or relu/);
  });

  it("refuses tfjs's hard_sigmoid gates and a merge other than concat, naming the fix", () => {
    const hard = () => transferWeights(lstmStateDict(['']), model(lstm({ recurrentActivation: 'hardSigmoid' })));
    expect(hard).toThrow(WeightTransferError);
    expect(hard).toThrow(/recurrentActivation: 'sigmoid'/);
    const summed = () =>
      transferWeights(lstmStateDict(['', '_reverse']), model(tf.layers.bidirectional({ layer: lstm({ name: 'inner' }) as unknown as tf.layers.RNN, mergeMode: 'sum', name: 'lstm' })));
    expect(summed).toThrow(/mergeMode: 'concat'/);
  });
});
