// nn.LSTM, nn.GRU and nn.RNN -> Keras recurrent layers, one per PyTorch layer (batch_first=False:
// the same layers on the batch-first Keras tensor of a value held in layout [1, 0, 2]):
// - LSTM: tfjs's LSTM (recurrentActivation sigmoid, PyTorch's; tfjs defaults to hard_sigmoid),
//   wrapped in Bidirectional (mergeMode concat: forward features first, like PyTorch) when the
//   module is bidirectional; every layer returns its whole sequence so the next can read it.
// - RNN: tfjs's SimpleRNN (activation tanh or relu, PyTorch's nonlinearity; its one bias is
//   bias_ih + bias_hh), wrapped in Bidirectional like the LSTM.
// - GRU: torchport's TorchGRU (tfjs's GRU refuses reset_after=True, which is PyTorch's form); a
//   bidirectional GRU is two TorchGRU layers (one going backwards) and a Concatenate.
// Layer 0 of module `m` is the Keras layer `m` (the transfer rules read weight_ih_l0...); layer k
// is `m__l<k>`, mapped back to `m` and told which tensors (weight_ih_l<k>...) fill it.
// The output sequence and h_n are supported; reading c_n (an LSTM's final cell state) is reported
// as unsupported. h_n is built from the layers' output sequences: a forward direction's final state
// is its output at the last step, a backward direction's its output at step 0.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Slice, TorchGRU } from '../../layers/index.ts';
import { permute } from '../../transfer/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { describePerm, identityPerm, samePerm } from '../layout.ts';
import type { GraphArg } from '../../../torch/index.ts';
import { Unsupported, isTensorConstant, type OpNode } from '../op_node.ts';
import { firstInput, outputShape } from './common.ts';
import { op, type OpFamily } from '../family.ts';

export function checkRecurrent(node: OpNode): string | undefined {
  const nonlinearity = node.attrs['nonlinearity'];
  if (node.op === 'RNN' && nonlinearity !== 'tanh' && nonlinearity !== 'relu') return `nonlinearity '${String(nonlinearity)}' (PyTorch's RNN has 'tanh' or 'relu')`;
  if ((node.attrs['proj_size'] ?? 0) !== 0) return 'proj_size (an LSTM with projections) has no Keras equivalent';
  if (node.attrs['bias'] !== true) return 'bias=False is not supported (Keras recurrent layers here are built with biases)';
  const initial = node.node.args[1] ?? node.node.kwargs['hx'];
  if (initial !== undefined && !initialStateArgs(initial).every(isTensorConstant))
    return 'an initial state (h_0 / c_0) computed from the inputs is not supported; the converted layers start from zeros';
  return undefined;
}

/** The tensors of an `hx` argument: h_0, or the (h_0, c_0) pair. */
function initialStateArgs(arg: GraphArg): GraphArg[] {
  return 'list' in arg ? [...arg.list] : [arg];
}

/** A constant initial state is accepted when it is all zeros (torch.zeros(layers, batch, hidden), the tutorial way): the converted layers start from zeros. */
function checkZeroInitialState(node: OpNode, ctx: BuildContext): void {
  const initial = node.node.args[1] ?? node.node.kwargs['hx'];
  if (initial === undefined) return;
  for (const arg of initialStateArgs(initial)) {
    if (!isTensorConstant(arg)) throw new Unsupported('an initial state computed from the inputs');
    const tensor = ctx.tensorOf(arg);
    if (!tensor) node.fail(`its initial state ${JSON.stringify(arg)} is not among the model's tensors`);
    if (tensor.toArray().some((v) => v !== 0)) throw new Unsupported(`a non-zero initial state ${JSON.stringify(arg)}; the converted layers start from zeros`);
  }
}

export function recurrent(node: OpNode, ctx: BuildContext): KValue[] {
  const module = node.node.module!;
  const kind = node.node.op as 'LSTM' | 'GRU' | 'RNN';
  checkZeroInitialState(node, ctx);
  const [sequence, finalHidden, finalCell] = node.node.outputs;
  const isRead = (value: string | undefined) =>
    value !== undefined && (ctx.graph.nodes.some((n) => n.args.some((a) => 'value' in a && a.value === value)) || ctx.graph.outputs.some((o) => o.value === value));
  if (isRead(finalCell)) throw new Unsupported(`the final cell state c_n is read; only the output sequence and h_n are supported`);
  const hidden = node.attrNumber('hidden_size');
  const layers = node.attrNumber('num_layers');
  const bidirectional = node.attrs['bidirectional'] === true;
  const batchFirst = node.attrs['batch_first'] === true;
  let x = batchFirst
    ? ctx.relayout(ctx.plain(firstInput(node, ctx), node), identityPerm(3), node, 'a recurrent layer reads (batch, steps, features)')
    : batchFirstView(node, ctx, firstInput(node, ctx));
  const [batch, steps] = [x.torchShape[0]!, x.torchShape[1]!];
  const width = hidden * (bidirectional ? 2 : 1);
  const sequences: KValue[] = [];
  for (let k = 0; k < layers; k++) {
    const name = k === 0 ? undefined : ctx.layerName(`${module}__l${k}`);
    if (name !== undefined) ctx.moduleNames[name] = module;
    x = kind === 'GRU' ? gruLayer(ctx, node, module, k, name, hidden, bidirectional, x) : kerasRecurrentLayer(ctx, node, k, name, hidden, bidirectional, x);
    if (x.torchShape.join() !== [batch, steps, width].join()) throw new Unsupported(`layer ${k} built shape [${x.torchShape.join(', ')}], expected [${batch}, ${steps}, ${width}]`);
    sequences.push(x);
  }
  // batch_first=False: PyTorch's (steps, batch, features) is the same Keras tensor, held in layout [1, 0, 2].
  if (!batchFirst) x = { ...x, torchShape: [steps, batch, width], layout: { perm: [1, 0, 2] } };
  const out = outputShape(node, ctx, node.node.outputs.indexOf(sequence!));
  if (out.join() !== x.torchShape.join()) throw new Unsupported(`output shape [${out.join(', ')}] differs from the built [${x.torchShape.join(', ')}]`);
  // An unread c_n (and h_n when unread) gets the sequence as a placeholder: nothing reads it.
  const hN = isRead(finalHidden) ? finalHiddenState(node, ctx, sequences, hidden, bidirectional) : x;
  return node.node.outputs.map((value) => (value === finalHidden ? hN : x));
}

/**
 * A sequence-first input (steps, batch, features) as the batch-first value Keras's recurrent layers
 * read: it must be held batch first already (layout [1, 0, 2]: a model input read by the module,
 * or x.transpose(0, 1) of a batch-first value), since Keras cannot move its batch axis.
 */
function batchFirstView(node: OpNode, ctx: BuildContext, input: KValue): KValue {
  const x = ctx.plain(input, node);
  const [steps, batch, features] = x.torchShape as [number, number, number];
  if (!samePerm(x.layout.perm, [1, 0, 2])) {
    throw new Unsupported(
      `batch_first=False on a value held time-first in Keras (layout ${describePerm(x.layout.perm)}), whose batch axis Keras cannot move: feed the module a model input directly or x.transpose(0, 1) of a batch-first value, or build it with batch_first=True`,
    );
  }
  return { ...x, torchShape: [batch, steps, features], layout: { perm: identityPerm(3) } };
}

/**
 * h_n, PyTorch shape (layers x directions, batch, hidden) in layer-major order (l0 forward, l0
 * backward, l1 forward, ...), held in Keras as (batch, layers x directions, hidden): layout
 * [1, 0, 2], the batch is PyTorch axis 1. Each direction's final state is a one-step Slice of its
 * layer's output sequence: step steps - 1 of the forward half, step 0 of the backward half.
 */
function finalHiddenState(node: OpNode, ctx: BuildContext, sequences: readonly KValue[], hidden: number, bidirectional: boolean): KValue {
  const [batch, steps] = [sequences[0]!.torchShape[0]!, sequences[0]!.torchShape[1]!];
  const pieces = sequences.flatMap((sequence, k) => {
    const last = (direction: 'forward' | 'backward') => {
      const begin = direction === 'forward' ? [steps - 1, 0] : [0, hidden];
      const layer = new Slice({ begin, size: [1, hidden], name: ctx.layerName(`${node.name}__h_n_l${k}_${direction}`) });
      return ctx.apply(layer, sequence, [batch, 1, hidden], { perm: identityPerm(3) });
    };
    return bidirectional ? [last('forward'), last('backward')] : [last('forward')];
  });
  const layout = { perm: [1, 0, 2] };
  const shape = [pieces.length, batch, hidden];
  if (pieces.length === 1) return { ...pieces[0]!, torchShape: shape, layout };
  return ctx.apply(tf.layers.concatenate({ axis: 1, name: ctx.layerName(`${node.name}__h_n`) }), pieces, shape, layout);
}

function redirect(ctx: BuildContext, layer: string, prefix: string, module: string, k: number, suffix: string): void {
  const tensor = (param: string) => `${module}.${param}_l${k}${suffix}`;
  ctx.fillFrom(layer, `${prefix}kernel`, tensor('weight_ih'), permute(1, 0));
  ctx.fillFrom(layer, `${prefix}recurrent_kernel`, tensor('weight_hh'), permute(1, 0));
  ctx.fillFrom(layer, `${prefix}bias`, tensor('bias_ih'), undefined, tensor('bias_hh'));
}

/** Layer k of an LSTM or RNN module: tfjs's LSTM or SimpleRNN, in Bidirectional when the module is bidirectional. */
function kerasRecurrentLayer(ctx: BuildContext, node: OpNode, k: number, name: string | undefined, hidden: number, bidirectional: boolean, x: KValue): KValue {
  const module = node.node.module!;
  const inner = node.op === 'LSTM' ? `lstm_l${k}` : `rnn_l${k}`;
  const make = (layerName: string) => {
    const common = { units: hidden, returnSequences: true, kernelInitializer: 'zeros', recurrentInitializer: 'zeros', name: bidirectional ? inner : layerName } as const;
    const cell =
      node.op === 'LSTM'
        ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', activation: 'tanh' })
        : tf.layers.simpleRNN({ ...common, activation: node.attrs['nonlinearity'] === 'relu' ? 'relu' : 'tanh' });
    return bidirectional ? tf.layers.bidirectional({ layer: cell as unknown as tf.layers.RNN, mergeMode: 'concat', name: layerName }) : cell;
  };
  const layer = name === undefined ? ctx.sharedLayer(module, make) : make(name);
  if (name !== undefined) {
    if (bidirectional) {
      redirect(ctx, layer.name, `forward_${inner}/`, module, k, '');
      redirect(ctx, layer.name, `backward_${inner}/`, module, k, '_reverse');
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

export const FAMILY: OpFamily = {
  name: 'Recurrent layers',
  layers: [Slice, TorchGRU],
  ops: {
    LSTM: op(recurrent, checkRecurrent),
    GRU: op(recurrent, checkRecurrent),
    RNN: op(recurrent, checkRecurrent),
  },
};
