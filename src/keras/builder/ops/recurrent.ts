// nn.LSTM and nn.GRU (batch_first) -> Keras recurrent layers, one per PyTorch layer:
// - LSTM: tfjs's LSTM (recurrentActivation sigmoid, PyTorch's; tfjs defaults to hard_sigmoid),
//   wrapped in Bidirectional (mergeMode concat: forward features first, like PyTorch) when the
//   module is bidirectional; every layer returns its whole sequence so the next can read it.
// - GRU: torchport's TorchGRU (tfjs's GRU refuses reset_after=True, which is PyTorch's form); a
//   bidirectional GRU is two TorchGRU layers (one going backwards) and a Concatenate.
// Layer 0 of module `m` is the Keras layer `m` (the transfer rules read weight_ih_l0...); layer k
// is `m__l<k>`, mapped back to `m` and told which tensors (weight_ih_l<k>...) fill it.
// Only the output sequence is supported: reading h_n / c_n is reported as unsupported.
import * as tf from '@tensorflow/tfjs';
import { TorchGRU } from '../../layers/index.ts';
import { permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { identityPerm } from '../layout.ts';
import { Unsupported, type OpNode } from '../op_node.ts';
import { firstInput, outputShape } from './common.ts';

export function checkRecurrent(node: OpNode): string | undefined {
  if (node.attrs['batch_first'] !== true) return 'batch_first=False puts the time axis first; build the module with batch_first=True (Keras keeps the batch first)';
  if ((node.attrs['proj_size'] ?? 0) !== 0) return 'proj_size (an LSTM with projections) has no Keras equivalent';
  if (node.attrs['bias'] !== true) return 'bias=False is not supported (Keras recurrent layers here are built with biases)';
  if (node.node.args.length > 1) return 'an explicit initial state (h_0 / c_0) is not supported; the converted layers start from zeros';
  return undefined;
}

export function recurrent(node: OpNode, ctx: BuildContext): KValue[] {
  const module = node.node.module!;
  const kind = node.node.op as 'LSTM' | 'GRU';
  const [sequence, ...states] = node.node.outputs;
  const readers = ctx.graph.nodes.filter((n) => n.args.some((a) => 'value' in a && states.includes(a.value)));
  if (readers.length > 0 || ctx.graph.outputs.some((o) => states.includes(o.value))) {
    throw new Unsupported(`the final state output(s) (h_n${kind === 'LSTM' ? ', c_n' : ''}) are read${readers[0] ? ` by '${readers[0].name}'` : ''}; only the output sequence is supported (take out[:, -1] instead of h_n)`);
  }
  const hidden = node.attrNumber('hidden_size');
  const layers = node.attrNumber('num_layers');
  const bidirectional = node.attrs['bidirectional'] === true;
  let x = ctx.relayout(ctx.plain(firstInput(node, ctx), node), identityPerm(3), node, 'a recurrent layer reads (batch, steps, features)');
  const [batch, steps] = [x.torchShape[0]!, x.torchShape[1]!];
  const width = hidden * (bidirectional ? 2 : 1);
  for (let k = 0; k < layers; k++) {
    const name = k === 0 ? undefined : ctx.layerName(`${module}__l${k}`);
    if (name !== undefined) ctx.moduleNames[name] = module;
    x = kind === 'LSTM' ? lstmLayer(ctx, module, k, name, hidden, bidirectional, x) : gruLayer(ctx, node, module, k, name, hidden, bidirectional, x);
    if (x.torchShape.join() !== [batch, steps, width].join()) throw new Unsupported(`layer ${k} built shape [${x.torchShape.join(', ')}], expected [${batch}, ${steps}, ${width}]`);
  }
  const out = outputShape(node, ctx);
  if (out.join() !== x.torchShape.join()) throw new Unsupported(`output shape [${out.join(', ')}] differs from the built [${x.torchShape.join(', ')}]`);
  // The state outputs are never read (checked above): they are given the sequence as a placeholder.
  void sequence;
  return node.node.outputs.map(() => x);
}

function redirect(ctx: BuildContext, layer: string, prefix: string, module: string, k: number, suffix: string): void {
  const tensor = (param: string) => `${module}.${param}_l${k}${suffix}`;
  ctx.fillFrom(layer, `${prefix}kernel`, tensor('weight_ih'), permute(1, 0));
  ctx.fillFrom(layer, `${prefix}recurrent_kernel`, tensor('weight_hh'), permute(1, 0));
  ctx.fillFrom(layer, `${prefix}bias`, tensor('bias_ih'), undefined, tensor('bias_hh'));
}

function lstmLayer(ctx: BuildContext, module: string, k: number, name: string | undefined, hidden: number, bidirectional: boolean, x: KValue): KValue {
  const make = (layerName: string) => {
    const cell = tf.layers.lstm({ units: hidden, returnSequences: true, recurrentActivation: 'sigmoid', activation: 'tanh', kernelInitializer: 'zeros', recurrentInitializer: 'zeros', name: bidirectional ? `lstm_l${k}` : layerName });
    return bidirectional ? tf.layers.bidirectional({ layer: cell as unknown as tf.layers.RNN, mergeMode: 'concat', name: layerName }) : cell;
  };
  const layer = name === undefined ? ctx.sharedLayer(module, make) : make(name);
  if (name !== undefined) {
    if (bidirectional) {
      redirect(ctx, layer.name, `forward_lstm_l${k}/`, module, k, '');
      redirect(ctx, layer.name, `backward_lstm_l${k}/`, module, k, '_reverse');
    } else redirect(ctx, layer.name, '', module, k, '');
  }
  const [batch, steps] = [x.torchShape[0]!, x.torchShape[1]!];
  return ctx.apply(layer, x, [batch, steps, hidden * (bidirectional ? 2 : 1)], { perm: identityPerm(3) });
}

function gruLayer(ctx: BuildContext, node: OpNode, module: string, k: number, name: string | undefined, hidden: number, bidirectional: boolean, x: KValue): KValue {
  const [batch, steps] = [x.torchShape[0]!, x.torchShape[1]!];
  const direction = (suffix: string, layerName: string | undefined): KValue => {
    const make = (n: string) => new TorchGRU({ units: hidden, goBackwards: suffix !== '', name: n });
    let layer: TorchGRU;
    if (layerName === undefined) layer = ctx.sharedLayer(module, make);
    else {
      layer = make(layerName);
      ctx.moduleNames[layer.name] = module;
      const tensor = (param: string) => `${module}.${param}_l${k}${suffix}`;
      ctx.fillFrom(layer.name, 'kernel', tensor('weight_ih'), permute(1, 0));
      ctx.fillFrom(layer.name, 'recurrent_kernel', tensor('weight_hh'), permute(1, 0));
      ctx.fillFrom(layer.name, 'bias', tensor('bias_ih'));
      ctx.fillFrom(layer.name, 'recurrent_bias', tensor('bias_hh'));
    }
    return ctx.apply(layer, x, [batch, steps, hidden], { perm: identityPerm(3) });
  };
  const forward = direction('', name);
  if (!bidirectional) return forward;
  const backward = direction('_reverse', ctx.layerName(`${module}__l${k}_reverse`));
  const concat = tf.layers.concatenate({ axis: -1, name: ctx.layerName(`${node.name}__l${k}_concat`) });
  return ctx.apply(concat, [forward, backward], [batch, steps, 2 * hidden], { perm: identityPerm(3) });
}
