// An op family: one module that owns the whole path of a group of PyTorch ops (the captured calls
// it accepts with the up-front check that refuses the rest, the Keras layers it builds, and the
// custom layer classes it needs, each carrying its own TFLite lowering). ./registry.ts joins the
// families; the builder, the TFLite lowering and the docs table all read the registry.
import type * as tf from '@tensorflow/tfjs';
import type { LoweringContext, LoweringSettings } from '../../tflite/lower/index.ts';
import type { IrTensor } from '../../tflite/ir/index.ts';
import type { OpNode } from './op_node.ts';
import type { Converter } from './ops/common.ts';

/** Why a node cannot be converted (undefined: it can), checked on every node before building. */
export type Check = (node: OpNode, shapes: (value: string) => readonly number[] | undefined) => string | undefined;

export interface OpSpec {
  readonly convert: Converter;
  readonly check?: Check;
}

/**
 * A custom Keras layer that knows its TFLite form: the lowering reads the layer's own typed fields,
 * not string keys of its config.
 */
export interface LowerableLayer {
  lower(ctx: LoweringContext, settings: LoweringSettings): IrTensor | IrTensor[];
}

/** A torchport layer class as tf.serialization registers it. */
export type CustomLayerClass = tf.serialization.SerializableConstructor<tf.layers.Layer>;

export interface OpFamily {
  /** Heading in docs/supported-ops.md. */
  readonly name: string;
  /** Captured call (module class, F.*, torch.*, Tensor.*) -> how it converts. */
  readonly ops: Readonly<Record<string, OpSpec>>;
  /** torchport's custom Keras layers this family builds (registered with tfjs by the registry). */
  readonly layers: readonly CustomLayerClass[];
}

export const op = (convert: Converter, check?: Check): OpSpec => ({ convert, ...(check ? { check } : {}) });

/** The same spec under several spellings (torch.add, Tensor.add, Tensor.__add__...). */
export const spellings = (names: readonly string[], spec: OpSpec): Record<string, OpSpec> => Object.fromEntries(names.map((name) => [name, spec]));
