// Elementwise activations: they do not care about layout, so a value keeps whatever layout it has
// (a flattened channels-last vector included).
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Clamp, GeluTanh, HardSigmoid, HardSwish } from '../../layers/index.ts';
import { Pointwise } from './pointwise.ts';
import { Unsupported, bool, num, str, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, type Converter } from './common.ts';
import { op, spellings, type Check, type OpFamily } from '../family.ts';

type Make = (name: string) => tf.layers.Layer;

function elementwise(make: (node: OpNode) => Make): Converter {
  return (node, ctx) => {
    const x = firstInput(node, ctx);
    return [ctx.apply(make(node)(nameFor(node, ctx)), x, x.torchShape, x.layout)];
  };
}

const activation =
  (name: string): Make =>
  (layerName) =>
    tf.layers.activation({ activation: name as never, name: layerName });

export const relu = elementwise(() => activation('relu'));
export const relu6 = elementwise(() => activation('relu6'));
export const sigmoid = elementwise(() => activation('sigmoid'));
export const tanh = elementwise(() => activation('tanh'));
/** SiLU: x * sigmoid(x) is tfjs's `swish` (alpha 1). */
export const silu = elementwise(() => activation('swish'));
export const hardswish = elementwise(() => (name) => new HardSwish({ name }));
export const hardsigmoid = elementwise(() => (name) => new HardSigmoid({ name }));

/** tfjs `gelu` is the exact erf form; the tanh approximation is GeluTanh. */
function geluMode(approximate: string): Make {
  if (approximate === 'none') return activation('gelu');
  if (approximate === 'tanh') return (name) => new GeluTanh({ name });
  throw new Unsupported(`GELU approximate=${JSON.stringify(approximate)} is not 'none' or 'tanh'`);
}
export const geluModule = elementwise((node) => geluMode(String(node.attrs['approximate'] ?? 'none')));
export const geluFunction = elementwise((node) => geluMode(str(node.bind(['input', 'approximate='])['approximate'], 'approximate', 'none')));

const leaky =
  (slope: number): Make =>
  (name) =>
    tf.layers.leakyReLU({ alpha: slope, name });
export const leakyReluModule = elementwise((node) => leaky(node.attrNumber('negative_slope')));
/** RReLU in eval mode is a leaky ReLU of slope (lower + upper) / 2 (in training the slope is random: refused). */
export const rreluModule = elementwise((node) => leaky((node.attrNumber('lower') + node.attrNumber('upper')) / 2));
const rreluModuleCheck: Check = (node) =>
  node.attrs['training'] === true ? 'RReLU in training mode draws a random slope per element: call model.eval() (or .eval() on the module) before converting' : undefined;
const RRELU_SIGNATURE = ['input', 'lower=', 'upper=', 'training=', 'inplace='];
export const rreluFunction = elementwise((node) => {
  const args = node.bind(RRELU_SIGNATURE);
  return leaky((num(args['lower'], 'lower', 1 / 8) + num(args['upper'], 'upper', 1 / 3)) / 2);
});
const rreluFunctionCheck: Check = (node) =>
  bool(node.bind(RRELU_SIGNATURE)['training'], 'training', false)
    ? 'F.rrelu with training=True draws a random slope per element: pass training=False (the slope is then (lower + upper) / 2)'
    : undefined;
export const leakyReluFunction = elementwise((node) => {
  const args = node.bind(['input', 'negative_slope=', 'inplace=']);
  return leaky(num(args['negative_slope'], 'negative_slope', 0.01));
});

/** tfjs's ELU layer only implements alpha 1; other alphas are a Pointwise ELU. */
function elu(alpha: number): Make {
  if (alpha === 1) return (name) => tf.layers.elu({ alpha, name });
  if (!(alpha > 0)) throw new Unsupported(`ELU alpha ${alpha} (a positive alpha is supported)`);
  return (name) => new Pointwise({ fn: 'elu', alpha, name });
}
export const eluModule = elementwise((node) => elu(node.attrNumber('alpha')));
export const eluFunction = elementwise((node) => elu(num(node.bind(['input', 'alpha=', 'inplace='])['alpha'], 'alpha', 1)));

/** Hardtanh(0, 6) is ReLU6; other bounds clamp. */
function hardtanh(min: number, max: number): Make {
  if (min === 0 && max === 6) return activation('relu6');
  if (!(min < max)) throw new Unsupported(`Hardtanh(${min}, ${max}): min_val must be below max_val`);
  return (name) => new Clamp({ min, max, name });
}
export const hardtanhModule = elementwise((node) => hardtanh(node.attrNumber('min_val'), node.attrNumber('max_val')));
export const hardtanhFunction = elementwise((node) => {
  const args = node.bind(['input', 'min_val=', 'max_val=', 'inplace=']);
  return hardtanh(num(args['min_val'], 'min_val', -1), num(args['max_val'], 'max_val', 1));
});

/** tfjs softplus is log(1 + exp(x)); PyTorch's (beta 1, threshold 20) differs by < 3e-9 above 20. Other betas: Pointwise. */
export const softplusModule = elementwise((node) => {
  const [beta, threshold] = [node.attrNumber('beta'), node.attrNumber('threshold')];
  if (beta === 1 && threshold === 20) return activation('softplus');
  if (beta === 0) throw new Unsupported('Softplus beta 0 (a division by zero)');
  return (name) => new Pointwise({ fn: 'softplus', beta, threshold, name });
});

const RELU = op(relu);
const RELU6 = op(relu6);
const SIGMOID = op(sigmoid);
const TANH = op(tanh);
const SILU = op(silu);
const HARDSWISH = op(hardswish);
const HARDSIGMOID = op(hardsigmoid);

export const FAMILY: OpFamily = {
  name: 'Activations',
  layers: [GeluTanh, HardSigmoid, HardSwish],
  ops: {
    ReLU: RELU,
    ReLU6: RELU6,
    Sigmoid: SIGMOID,
    Tanh: TANH,
    SiLU: SILU,
    Hardswish: HARDSWISH,
    Hardsigmoid: HARDSIGMOID,
    GELU: op(geluModule),
    LeakyReLU: op(leakyReluModule),
    RReLU: op(rreluModule, rreluModuleCheck),
    ELU: op(eluModule),
    Hardtanh: op(hardtanhModule),
    Softplus: op(softplusModule),
    ...spellings(['F.relu', 'F.relu_', 'torch.relu', 'torch.relu_', 'Tensor.relu', 'Tensor.relu_'], RELU),
    'F.relu6': RELU6,
    ...spellings(['F.hardtanh', 'F.hardtanh_'], op(hardtanhFunction)),
    ...spellings(['F.sigmoid', 'torch.sigmoid', 'Tensor.sigmoid', 'Tensor.sigmoid_'], SIGMOID),
    ...spellings(['F.tanh', 'torch.tanh', 'Tensor.tanh'], TANH),
    'F.silu': SILU,
    'F.hardswish': HARDSWISH,
    'F.hardsigmoid': HARDSIGMOID,
    'F.gelu': op(geluFunction),
    'F.leaky_relu': op(leakyReluFunction),
    ...spellings(['F.rrelu', 'F.rrelu_', 'torch.rrelu', 'torch.rrelu_'], op(rreluFunction, rreluFunctionCheck)),
    'F.elu': op(eluFunction),
  },
};
