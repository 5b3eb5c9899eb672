// PyTorch's GRU (one layer, one direction, batch first) as a Keras layer. tfjs-layers' GRU refuses
// reset_after=True, and PyTorch's GRU is exactly the reset_after form: the reset gate multiplies
// the recurrent projection *including* its bias,
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
//   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
//   h' = (1 - z) * n + z * h
// Weights keep PyTorch's gate order r, z, n (Keras's own GRU orders z, r, h): `kernel` (in, 3H) and
// `recurrent_kernel` (H, 3H) are weight_ih / weight_hh transposed, `bias` and `recurrent_bias` (3H)
// are bias_ih / bias_hh. Input (batch, steps, features); output every step's h (batch, steps, H)
// when returnSequences (the default), else the last one. The initial state is zero.
import { tf } from '../../runtimes/tfjs/index.ts';
import { IDENTITY, permute, type LayerRule } from '../transfer/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { LoweringContext, LoweringSettings } from '../../tflite/lower/index.ts';
import { torchGru } from '../../tflite/lower/layers/index.ts';
import { KerasLayerConfigError } from './grouped_conv2d.ts';

type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

export interface TorchGRUArgs extends NonNullable<LayerArgs> {
  units: number;
  /** Run the sequence from its last step to its first; outputs stay in input order. */
  goBackwards?: boolean;
  returnSequences?: boolean;
}

export class TorchGRU extends tf.layers.Layer {
  static readonly className = 'TorchGRU';
  /** PyTorch's gate order and both biases as they are. */
  static readonly transferRule: LayerRule = {
    weights: [
      { keras: 'kernel', torch: 'weight_ih_l0', layout: permute(1, 0) },
      { keras: 'recurrent_kernel', torch: 'weight_hh_l0', layout: permute(1, 0) },
      { keras: 'bias', torch: 'bias_ih_l0', layout: IDENTITY },
      { keras: 'recurrent_bias', torch: 'bias_hh_l0', layout: IDENTITY },
    ],
  };
  readonly units: number;
  readonly goBackwards: boolean;
  readonly returnSequences: boolean;
  private weightsByName: Record<string, tf.LayerVariable> = {};

  constructor(args: TorchGRUArgs) {
    super(args);
    if (!Number.isInteger(args.units) || args.units < 1) throw new KerasLayerConfigError(`TorchGRU units must be a positive integer, got ${JSON.stringify(args.units)}`);
    this.units = args.units;
    this.goBackwards = args.goBackwards ?? false;
    this.returnSequences = args.returnSequences ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1];
    if (typeof features !== 'number') throw new KerasLayerConfigError(`TorchGRU '${this.name}' needs a known feature size, got input shape ${JSON.stringify(shape)}`);
    const h3 = 3 * this.units;
    const zeros = tf.initializers.zeros();
    this.weightsByName = {
      kernel: this.addWeight('kernel', [features, h3], 'float32', zeros),
      recurrent_kernel: this.addWeight('recurrent_kernel', [this.units, h3], 'float32', zeros),
      bias: this.addWeight('bias', [h3], 'float32', zeros),
      recurrent_bias: this.addWeight('recurrent_bias', [h3], 'float32', zeros),
    };
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return this.returnSequences ? [shape[0] ?? null, shape[1] ?? null, this.units] : [shape[0] ?? null, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor3D;
      const [batch, steps] = [x.shape[0], x.shape[1]];
      const w = (name: string) => this.weightsByName[name]!.read();
      const u = this.units;
      // Input projections of every step at once: (batch, steps, 3H).
      const projected = tf.add(tf.matMul(x.reshape([batch * steps, -1]), w('kernel') as tf.Tensor2D), w('bias')).reshape([batch, steps, 3 * u]);
      let h: tf.Tensor2D = tf.zeros([batch, u]);
      const outputs: tf.Tensor2D[] = new Array<tf.Tensor2D>(steps);
      for (let k = 0; k < steps; k++) {
        const t = this.goBackwards ? steps - 1 - k : k;
        const xt = projected.slice([0, t, 0], [batch, 1, 3 * u]).reshape([batch, 3 * u]);
        const ht = tf.add(tf.matMul(h, w('recurrent_kernel') as tf.Tensor2D), w('recurrent_bias'));
        const [xr, xz, xn] = tf.split(xt, 3, 1);
        const [hr, hz, hn] = tf.split(ht, 3, 1);
        const r = tf.sigmoid(tf.add(xr!, hr!));
        const z = tf.sigmoid(tf.add(xz!, hz!));
        const n = tf.tanh(tf.add(xn!, tf.mul(r, hn!)));
        h = tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D; // (1 - z) n + z h
        outputs[t] = h;
      }
      return this.returnSequences ? tf.stack(outputs, 1) : h;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, goBackwards: this.goBackwards, returnSequences: this.returnSequences };
  }

  lower(ctx: LoweringContext, settings: LoweringSettings): IrTensor {
    return torchGru(ctx, settings, this);
  }
}
