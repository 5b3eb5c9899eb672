// The state of one build: Keras tensors for graph values (with their layouts), layer naming and
// sharing, inserted permutes, and what weight transfer needs to know beyond layer classes.
import { tf } from '../../runtimes/tfjs/index.ts';
import type { CapturedGraph } from '../../torch/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import type { WeightLayout, WeightOverride } from '../transfer/index.ts';
import { foldBatch, unfoldBatch } from './batch_axis.ts';
import { KerasBuildError } from './errors.ts';
import { describePerm, kerasShapeOf, onlyUnitAxesMove, permuteDims, samePerm, type Layout } from './layout.ts';
import type { OpNode } from './op_node.ts';

/** A graph value on the Keras side. */
export interface KValue {
  readonly tensor: tf.SymbolicTensor;
  readonly layout: Layout;
  /** The value's PyTorch shape (batch included). */
  readonly torchShape: readonly number[];
  /** The Keras layer whose output holds it (for first-divergence reports). */
  readonly layer: string;
  /** Which call of that layer (a shared layer has several): read it with layer.getOutputAt(call). */
  readonly call: number;
}

export interface InsertedPermute {
  /** The node that needed it. */
  readonly node: string;
  readonly layer: string;
  /** PyTorch shape of the value and the layouts before and after. */
  readonly torchShape: readonly number[];
  readonly from: readonly number[];
  readonly to: readonly number[];
  readonly reason: string;
}

/** The captured model's tensors: its state dict and the graph's folded constants. */
export interface BuildTensors {
  readonly weights: ReadonlyMap<string, Tensor>;
  readonly constants: ReadonlyMap<string, Tensor>;
}

/** Graph constants join the transfer's tensor map under these names (never a state-dict name). */
export const constantTensorName = (id: string): string => `<constant>.${id}`;

const ROOT_LAYER_NAME = 'root';

const NAME_PATTERN = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

export class BuildContext {
  readonly values = new Map<string, KValue>();
  readonly permutes: InsertedPermute[] = [];
  /** Node name -> the Keras layer holding its (first) output. */
  readonly nodeLayers: Record<string, string> = {};
  readonly overrides: Record<string, Record<string, WeightOverride>> = {};
  /** Keras layer name -> module path where they differ (the root module). */
  readonly moduleNames: Record<string, string> = {};
  /** Module path -> eps, for the transfer's epsilon check. */
  readonly epsilons: Record<string, number> = {};
  /** Tensors the transfer reads besides the state dict (graph constants, divisor maps), by name. */
  readonly extraTensors = new Map<string, Tensor>();
  /**
   * The model's batch size: Keras axis 0 of the first input (PyTorch axis 0, or axis 1 of a
   * sequence-first input held batch first). Set by the builder once the inputs exist.
   */
  batchSize: number | undefined;
  private readonly usedNames = new Set<string>();
  private readonly reserved = new Set<string>();
  private readonly sharedLayers = new Map<string, tf.layers.Layer>();

  constructor(
    readonly graph: CapturedGraph,
    private readonly tensors: BuildTensors,
  ) {
    // Layers of modules with weights are named exactly by their paths: keep those names free.
    for (const [path, info] of Object.entries(graph.modules)) if (info.parameters.length + info.buffers.length > 0) this.reserved.add(path);
  }

  /** State-dict tensors the builder read itself (index tensors, masks) rather than handing to the transfer. */
  readonly consumed = new Set<string>();

  /**
   * The tensor a {param} / {constant} argument names, read at build time (index tensors and masks
   * go into layer configs or builder-made tensors, not to the weight transfer).
   */
  tensorOf(arg: { param: string } | { constant: string }): Tensor | undefined {
    if ('param' in arg) {
      this.consumed.add(arg.param);
      return this.tensors.weights.get(arg.param);
    }
    return this.tensors.constants.get(arg.constant);
  }

  /** A state-dict tensor, read without taking it from the weight transfer (see tensorOf). */
  peekTensor(name: string): Tensor | undefined {
    return this.tensors.weights.get(name);
  }

  /** Shape of a state-dict tensor (a parameter used directly in forward). */
  tensorShape(name: string): readonly number[] | undefined {
    return this.tensors.weights.get(name)?.shape;
  }

  /** Makes graph constant `id` available to the weight transfer (under constantTensorName(id)). */
  useConstant(id: string): void {
    const tensor = this.tensors.constants.get(id);
    if (!tensor) throw new KerasBuildError(`graph constant ${id} is not among the constants handed to the builder`);
    this.extraTensors.set(constantTensorName(id), tensor);
  }

  value(id: string, where: OpNode): KValue {
    const value = this.values.get(id);
    if (!value) return where.fail(`reads value ${id}, which was not built`);
    return value;
  }

  /** A unique, tfjs-valid layer name derived from `base` (a module path or node name). */
  layerName(base: string): string {
    let name = base.replace(/[^-A-Za-z0-9._/]/g, '_');
    if (!NAME_PATTERN.test(name)) name = `x${name}`;
    let candidate = name;
    for (let i = 1; this.usedNames.has(candidate) || this.reserved.has(candidate); i++) candidate = `${name}_${i}`;
    this.usedNames.add(candidate);
    return candidate;
  }

  /** The layer for a module with weights: created on the first call, reused on the next ones. */
  sharedLayer<T extends tf.layers.Layer>(modulePath: string, make: (name: string) => T): T {
    const existing = this.sharedLayers.get(modulePath);
    if (existing) return existing as T;
    // A model that is a single module (path "") gets a named layer mapped back to "" for the transfer.
    const wanted = modulePath === '' ? ROOT_LAYER_NAME : modulePath;
    if (this.usedNames.has(wanted)) throw new KerasBuildError(`layer name '${wanted}' is already taken; module paths must be unique`);
    this.reserved.delete(wanted);
    const layer = make(this.layerName(wanted));
    if (layer.name !== wanted) throw new KerasBuildError(`module path '${modulePath}' is not a valid Keras layer name (tfjs allows letters, digits and . _ - /)`);
    if (modulePath === '') this.moduleNames[layer.name] = '';
    this.sharedLayers.set(modulePath, layer);
    return layer;
  }

  /** Says which tensor fills weight `weight` of layer `layer` (and how), beyond the rule table. */
  fillFrom(layer: string, weight: string, tensor: string | undefined, layout?: WeightLayout, plus?: string): void {
    const previous = this.overrides[layer]?.[weight];
    const next: WeightOverride = { ...(tensor !== undefined ? { tensor } : {}), ...(layout !== undefined ? { layout } : {}), ...(plus !== undefined ? { plus } : {}) };
    if (previous && JSON.stringify(previous) !== JSON.stringify(next)) {
      throw new KerasBuildError(
        `Keras layer '${layer}' is shared by calls that need different '${weight}' layouts (${JSON.stringify(previous)} vs ${JSON.stringify(next)}); call the module on inputs of one layout`,
      );
    }
    (this.overrides[layer] ??= {})[weight] = next;
  }

  /** A tensor made by the builder (not in the state dict) that fills `layer`'s weight as is. */
  addTensor(layer: string, weight: string, tensorName: string, tensor: Tensor): void {
    this.extraTensors.set(tensorName, tensor);
    this.fillFrom(layer, weight, tensorName);
  }

  /** Applies `layer` to the values' Keras tensors; the result has the given PyTorch shape and layout. */
  apply(layer: tf.layers.Layer, inputs: KValue | readonly KValue[], torchShape: readonly number[], layout: Layout): KValue {
    const tensors = Array.isArray(inputs) ? (inputs as KValue[]).map((v) => v.tensor) : (inputs as KValue).tensor;
    const tensor = layer.apply(tensors) as tf.SymbolicTensor;
    const value: KValue = { tensor, layout, torchShape, layer: layer.name, call: layer.inboundNodes.length - 1 };
    checkShape(value, layer);
    return value;
  }

  /**
   * The value with a plain layout `perm`. Moving only size-1 axes is a Reshape; anything else is
   * a Permute (a transpose at inference), recorded in the report.
   */
  relayout(value: KValue, perm: readonly number[], node: OpNode, reason: string): KValue {
    const plain = this.plain(value, node);
    if (samePerm(plain.layout.perm, perm)) return plain;
    const shape = plain.torchShape;
    if (plain.layout.perm[0] !== perm[0]) {
      // Keras axis 0 changes: fold it into a unit axis, permute, unfold (static shapes).
      const folded = foldBatch(this, plain, `${node.name}__fold`);
      const moved = this.relayout(folded, [0, ...perm.map((axis) => axis + 1)], node, reason);
      return unfoldBatch(this, moved, `${node.name}__unfold`);
    }
    const targetShape = kerasShapeOf(shape, perm).slice(1);
    if (onlyUnitAxesMove(shape, plain.layout.perm, perm)) {
      const layer = tf.layers.reshape({ targetShape, name: this.layerName(`${node.name}__reshape`) });
      return this.apply(layer, plain, shape, { perm });
    }
    const layer = tf.layers.permute({ dims: permuteDims(plain.layout.perm, perm), name: this.layerName(`${node.name}__permute`) });
    this.permutes.push({ node: node.name, layer: layer.name, torchShape: shape, from: plain.layout.perm, to: perm, reason });
    return this.apply(layer, plain, shape, { perm });
  }

  /** A value with a plain layout: a flattened value in another feature order is reordered. */
  plain(value: KValue, node: OpNode): KValue {
    const { source, perm } = value.layout;
    if (source === undefined) return value;
    // Keras holds flatten(T.permute(perm)) for a tensor T of shape `source`: unflatten, permute
    // back to PyTorch's order, flatten again.
    const unflat = tf.layers.reshape({ targetShape: kerasShapeOf(source, perm).slice(1), name: this.layerName(`${node.name}__unflatten`) });
    const unflattened = this.apply(unflat, value, source, { perm });
    const restored = this.relayout(
      unflattened,
      source.map((_, i) => i),
      node,
      'a flattened channels-last value is used by an op that needs PyTorch feature order',
    );
    const flat = tf.layers.reshape({ targetShape: value.torchShape.slice(1) as number[], name: this.layerName(`${node.name}__flatten`) });
    return this.apply(flat, restored, value.torchShape, { perm: value.torchShape.map((_, i) => i) });
  }
}

/** Every Keras tensor must have the shape its layout says: catches converter mistakes early. */
function checkShape(value: KValue, layer: tf.layers.Layer): void {
  // A 0-d value (a reduction of every axis) is held as Keras shape [1].
  const expected = value.torchShape.length === 0 ? [1] : value.layout.source === undefined ? kerasShapeOf(value.torchShape, value.layout.perm) : value.torchShape;
  const actual = value.tensor.shape;
  const ok = actual.length === expected.length && actual.every((dim, i) => i === 0 || dim === expected[i]);
  if (!ok) {
    throw new KerasBuildError(
      `internal layout error: Keras layer '${layer.name}' (${layer.getClassName()}) produced shape [${actual.join(', ')}] but PyTorch's [${value.torchShape.join(', ')}] in layout ${describePerm(value.layout.perm)} needs [${expected.join(', ')}]`,
    );
  }
}
