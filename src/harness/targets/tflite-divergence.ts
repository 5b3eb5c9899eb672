// First divergence for the TFLite targets: the variant converted in debug mode (every surviving
// Keras layer's output exposed as a graph output named after the layer, dequantized to float32 in
// the int8 variant), run in LiteRT on the golden's first seed, each exposed tensor compared with
// PyTorch's activation of the graph value that layer holds, in execution order.
//
// A layer whose computation was folded or fused into another (a BatchNorm into its convolution, a
// ReLU into the operator before it) has no tensor of its own: it is checked through the layer that
// absorbed it, whose output is the folded result.
import type { KerasConversion } from '../../convert/index.ts';
import { TorchportError } from '../../errors.ts';
import type { TfliteInspection } from '../../tflite/index.ts';
import { inversePermutation, type Tensor } from '../../tensor/index.ts';
import type { QuantizeVariant } from '../../tflite/lower/index.ts';
import { layerErrorMetrics } from '../compare/index.ts';
import type { Golden } from '../../golden/index.ts';
import type { Divergence, DivergentLayer } from './target.ts';

/**
 * A layer diverges when max|diff| > abs + rel * max|ref| (its own activation's magnitude).
 * - fp32: float32 rounding only, as for the Keras model (divergence.ts).
 * - fp16: float16 weights (11-bit mantissa, relative rounding 2^-12 per weight) accumulate over
 *   the layers; measured on the goldens: up to ~0.3% of max|ref| in correct conversions.
 * - dynamic-int8: int8 weights and, inside the hybrid kernels, int8 activations; int8: every
 *   activation on a 256-step grid, re-quantized at each layer. Rounding alone stays under ~10% of
 *   max|ref| per layer on the goldens; a wrong lowering (a swapped axis, a corrupted filter) is
 *   off by the order of the values themselves. An int8 layer whose values on this seed leave the
 *   range calibrated on the representative data saturates and can exceed 15%: it is then
 *   reported, rightly, as where the int8 model departs from PyTorch.
 */
export const LAYER_TOLERANCE: Readonly<Record<QuantizeVariant, { readonly abs: number; readonly rel: number }>> = {
  fp32: { abs: 1e-5, rel: 1e-5 },
  fp16: { abs: 1e-5, rel: 1e-2 },
  'dynamic-int8': { abs: 1e-5, rel: 0.15 },
  int8: { abs: 1e-5, rel: 0.15 },
};

export class TfliteDivergenceError extends TorchportError {
  readonly code = 'E_TFLITE_DIVERGENCE';
}

export interface TfliteDivergenceOptions {
  /**
   * The bytes of a debug-mode conversion to examine (convertKerasToTflite with `debug: true`),
   * instead of converting the Keras model afresh: to diagnose a file that was altered or produced
   * elsewhere. Its outputs must be named after the Keras layers.
   */
  readonly bytes?: Uint8Array;
}

/** The variant converted with every Keras layer's output exposed (`debug: true`), calibrated like lowerToTflite does. */
export async function convertForDivergence(golden: Golden, keras: KerasConversion, variant: QuantizeVariant): Promise<Uint8Array> {
  const [{ convertKerasToTflite }, { defaultRepresentative, toKerasLayout }, { executeTflite }] = await Promise.all([
    import('../../tflite/lower/index.ts'),
    import('../../convert/index.ts'),
    import('../../runtimes/tflite/index.ts'),
  ]);
  const representative = variant === 'int8' ? defaultRepresentative(golden) : undefined;
  const result = await convertKerasToTflite(keras.model, {
    quantize: variant,
    debug: true,
    batchSize: golden.manifest.inputs[0]?.shape[0] ?? 1,
    ...(representative ? { representativeData: representative.samples.map((sample) => toKerasLayout(sample, keras.io.inputs)), executeModel: executeTflite } : {}),
  });
  return result.bytes;
}

/**
 * Every Keras layer with an exposed TFLite tensor, compared with the golden's activation of the
 * graph value it holds (first seed); `first` is the earliest one out of LAYER_TOLERANCE[variant].
 */
export async function tfliteLayerErrors(golden: Golden, keras: KerasConversion, variant: QuantizeVariant, options: TfliteDivergenceOptions = {}): Promise<Divergence> {
  const bytes = options.bytes ?? (await convertForDivergence(golden, keras, variant));
  const [{ createTfliteRunner }, { toKerasLayout }, { inspectTflite }, { DEBUG_DESCRIPTION }] = await Promise.all([
    import('../../runtimes/tflite/index.ts'),
    import('../../convert/index.ts'),
    import('../../tflite/index.ts'),
    import('../../tflite/lower/index.ts'),
  ]);
  if (!inspectTflite(bytes).description.includes(DEBUG_DESCRIPTION)) {
    throw new TfliteDivergenceError(
      `${golden.manifest.name} (${variant}): the TFLite model is not a debug conversion, so it exposes no layer outputs; convert it with debug: true (see convertForDivergence)`,
    );
  }
  const { graph } = await golden.graph();
  const activations = await golden.activations();
  const inputs = toKerasLayout(await golden.inputs(golden.manifest.seeds[0]!), keras.io.inputs);

  const scales = quantizedScales(inspectTflite(bytes));
  const runner = await createTfliteRunner(bytes, { name: `${golden.manifest.name} (${variant}, debug)`, allowNonFinite: true });
  const exposed = new Map<string, Tensor | null>();
  try {
    const outputs = await runner.run(inputs);
    runner.outputNames.forEach((name, i) => {
      // A layer called twice (a shared module) exposes two tensors under one name: neither is unambiguous.
      if (exposed.has(name)) exposed.set(name, null);
      else exposed.set(name, outputs[i]!);
    });
  } finally {
    await runner.dispose();
  }

  const { abs, rel } = LAYER_TOLERANCE[variant];
  const layers: DivergentLayer[] = [];
  for (const node of graph.nodes) {
    for (const value of node.outputs) {
      const location = keras.build.valueLayers[value];
      if (!location || location.layout.source || !activations.has(value)) continue;
      // A shared layer (called more than once) exposes one of its calls under its name: ambiguous.
      if (keras.model.getLayer(location.layer).inboundNodes.length > 1) continue;
      const tensor = exposed.get(location.layer);
      if (!tensor || tensor.dtype !== 'float32') continue;
      const reference = activations.get(value)!.toFloat32();
      // The tensor may hold the layer's output in another shape of the same data (a Conv1D's
      // (N, 1, W, C) when the reshapes around 1D layers cancelled): take the Keras shape first.
      const kerasShape = kerasOutputShape(keras, location.layer, location.call, tensor.shape[0] ?? 1);
      if (!kerasShape || kerasShape.reduce((a, b) => a * b, 1) !== tensor.size) continue;
      const actual = tensor.reshape(kerasShape).permute(inversePermutation(location.layout.perm));
      if (actual.size !== reference.size) continue;
      const metrics = layerErrorMetrics(actual.reshape(reference.shape), reference);
      const scale = scales.get(location.layer);
      layers.push({
        module: node.module ?? node.name,
        op: node.op,
        convertedName: location.layer,
        maxAbsDiff: metrics.maxAbsDiff,
        maxAbsReference: metrics.maxAbsReference,
        meanDiff: metrics.meanDiff,
        ...(scale ? { scale } : {}),
      });
    }
  }
  const first = layers.find((l) => !(l.maxAbsDiff <= abs + rel * l.maxAbsReference)) ?? null;
  return { first, layers, tolerance: abs };
}

/** Debug outputs of a quantized model are dequantized: the scale of the int8 tensor each came from, by layer name. */
function quantizedScales(inspection: TfliteInspection): Map<string, number> {
  const scales = new Map<string, number>();
  for (const output of inspection.outputs) {
    const producer = inspection.operators.find((op) => op.name === 'DEQUANTIZE' && op.outputs.includes(output.index));
    const source = producer ? inspection.tensors[producer.inputs[0]!] : undefined;
    const scale = source?.quantization?.scale?.[0];
    // The int8 tensor carries the layer's name; its dequantized copy is "<layer>/dequantized".
    if (source && scale) scales.set(source.name, scale);
  }
  return scales;
}

function kerasOutputShape(keras: KerasConversion, layer: string, call: number, batch: number): number[] | undefined {
  const output = keras.model.getLayer(layer).getOutputAt(call) as { shape: readonly (number | null)[] } | Array<{ shape: readonly (number | null)[] }>;
  if (Array.isArray(output)) return undefined;
  return output.shape.map((d) => d ?? batch);
}
