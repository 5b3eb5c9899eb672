// A one-op UNIDIRECTIONAL_SEQUENCE_LSTM model (batch-major, no CIFG/peephole/projection), used
// to pin down what the writer/reader keep and what LiteRT.js does with the fused op.
// Input order (tensorflow/lite/kernels/lstm_shared.h): 0 input; 1-4 input-to-{i,f,c,o}
// weights [units, features]; 5-8 recurrent-to-{i,f,c,o} [units, units]; 9-11 peepholes;
// 12-15 {i,f,c,o} gate biases [units]; 16-17 projection; 18 output state and 19 cell state
// [batch, units] (the kernel requires both to be variable tensors); 20-23 layer-norm weights.
import { Tensor } from '../../tensor/index.ts';
import { TfliteGraphBuilder, type TfliteModel } from '../index.ts';

export interface FusedLstmOptions {
  /** How the two state tensors are declared: variable (what the kernel needs) or zero constants. */
  state: 'variable' | 'constant';
  steps?: number;
  features?: number;
  units?: number;
}

export function fusedLstmModel({ state, steps = 5, features = 3, units = 4 }: FusedLstmOptions): TfliteModel {
  let seed = 7;
  const next = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647) * 2 - 1;
  };
  const tensor = (shape: number[]) => new Tensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next));
  const g = new TfliteGraphBuilder();
  const x = g.input('x', 'float32', [1, steps, features]);
  const gates = ['i', 'f', 'c', 'o'];
  const inputWeights = gates.map((k) => g.constant(`input_to_${k}`, tensor([units, features])));
  const recurrentWeights = gates.map((k) => g.constant(`recurrent_to_${k}`, tensor([units, units])));
  const biases = gates.map((k) => g.constant(`${k}_bias`, tensor([units])));
  const stateTensor = (name: string) => (state === 'variable' ? g.variable(name, 'float32', [1, units]) : g.constant(name, Tensor.zeros('float32', [1, units])));
  const outputState = stateTensor('output_state');
  const cellState = stateTensor('cell_state');
  const y = g.activation('y', 'float32', [1, steps, units]);
  const none = -1;
  g.op('UNIDIRECTIONAL_SEQUENCE_LSTM', [x, ...inputWeights, ...recurrentWeights, none, none, none, ...biases, none, none, outputState, cellState, none, none, none, none], [y], {
    fusedActivationFunction: 'TANH',
    timeMajor: false,
  });
  g.output(y);
  return g.build(`fused LSTM, ${state} state`);
}
