// A small WHILE model: the running sum of a (1, steps, 3) input along the steps, one step per
// iteration. Loop values (t, xs, out, acc): the body GATHERs row t, adds it to acc, writes acc
// into out at [0, t, 0] with DYNAMIC_UPDATE_SLICE and counts t up; the condition is t < steps.
// The same shape as the recurrent lowerings' loops (src/tflite/lower/loop.ts), without a cell.
import { Tensor } from '../../tensor/index.ts';
import { TfliteGraphBuilder, type TfliteModel } from '../index.ts';

export function runningSumModel(steps: number): TfliteModel {
  const row = [1, 1, 3];
  const sequence = [1, steps, 3];
  const main = new TfliteGraphBuilder();
  const x = main.input('x', 'float32', sequence);
  const initial = [main.int32Constant('t0', [0]), x, main.constant('out0', Tensor.zeros('float32', sequence)), main.constant('acc0', Tensor.zeros('float32', row))];
  const final = [main.activation('t', 'int32', [1]), main.activation('xs', 'float32', sequence), main.activation('sums', 'float32', sequence), main.activation('total', 'float32', row)];
  main.op('WHILE', initial, final, { condSubgraphIndex: 1, bodySubgraphIndex: 2 });
  main.output(final[2]!, final[3]!);
  const model = main.build('running sum in a WHILE');

  const loopInputs = (g: TfliteGraphBuilder) => [g.input('t', 'int32', [1]), g.input('xs', 'float32', sequence), g.input('out', 'float32', sequence), g.input('acc', 'float32', row)];
  const cond = new TfliteGraphBuilder();
  const [ct] = loopInputs(cond);
  const running = cond.activation('running', 'bool', [1]);
  cond.op('LESS', [ct!, cond.int32Constant('end', [steps])], [running]);
  cond.output(running);

  const body = new TfliteGraphBuilder();
  const [t, xs, out, acc] = loopInputs(body);
  const current = body.activation('x_t', 'float32', row);
  body.op('GATHER', [xs!, t!], [current], { axis: 1, batchDims: 0 });
  const sum = body.activation('acc_next', 'float32', row);
  body.op('ADD', [acc!, current], [sum], {});
  const zero = body.int32Constant('zero', [0]);
  const position = body.activation('position', 'int32', [3]);
  body.op('CONCATENATION', [zero, t!, zero], [position], { axis: 0 });
  const written = body.activation('out_next', 'float32', sequence);
  body.op('DYNAMIC_UPDATE_SLICE', [out!, sum, position], [written]);
  const next = body.activation('t_next', 'int32', [1]);
  body.op('ADD', [t!, body.int32Constant('one', [1])], [next], {});
  body.output(next, xs!, written, sum);

  model.subgraphs = [cond.buildSubgraph('running_sum_cond'), body.buildSubgraph('running_sum_body')];
  return model;
}
