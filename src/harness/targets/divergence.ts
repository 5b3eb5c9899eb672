// First divergence: the converted model's intermediate values against PyTorch's activations of the
// golden's first seed, layer by layer in execution order.
import type { KerasConversion } from '../../convert/index.ts';
import { Tensor, inversePermutation } from '../../tensor/index.ts';
import { layerErrorMetrics } from '../compare/index.ts';
import type { Golden } from '../../golden/index.ts';
import type { Divergence, DivergentLayer } from './target.ts';

/**
 * A layer diverges when max|diff| > ABS + REL * max|ref|: float32 rounding grows with the size of
 * the values, so a fixed threshold would flag large, correct activations deep in a network.
 */
const ABS = 1e-5;
const REL = 1e-5;

/** Every Keras layer that holds a graph value, compared with the golden's activation of that value. */
export async function kerasLayerErrors(golden: Golden, conversion: KerasConversion): Promise<Divergence> {
  const build = conversion.build;
  const { graph } = await golden.graph();
  const activations = await golden.activations();
  const probes: Array<{ node: (typeof graph.nodes)[number]; value: string; perm: readonly number[]; output: number }> = [];
  // Several values can live in one layer output (no-op nodes): probe each output once.
  const outputs: Array<{ layer: string; call: number }> = [];
  const outputIndex = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const value of node.outputs) {
      const location = build.valueLayers[value];
      if (!location || location.layout.source || !activations.has(value)) continue;
      const key = `${location.layer}#${location.call}`;
      if (!outputIndex.has(key)) outputIndex.set(key, outputs.push({ layer: location.layer, call: location.call }) - 1);
      probes.push({ node, value, perm: location.layout.perm, output: outputIndex.get(key)! });
    }
  }
  const { toKerasLayout } = await import('../../convert/index.ts');
  const inputs = toKerasLayout(await golden.inputs(golden.manifest.seeds[0]!), conversion.io.inputs);
  const results = await probeLayerOutputs(conversion.model, outputs, inputs);
  const layers: DivergentLayer[] = [];
  for (const probe of probes) {
    const reference = activations.get(probe.value)!.toFloat32();
    const actual = results[probe.output]!.toFloat32().permute(inversePermutation(probe.perm));
    if (actual.size !== reference.size) continue;
    const metrics = layerErrorMetrics(actual.reshape(reference.shape), reference);
    layers.push({
      module: probe.node.module ?? probe.node.name,
      op: probe.node.op,
      convertedName: build.valueLayers[probe.value]!.layer,
      maxAbsDiff: metrics.maxAbsDiff,
      maxAbsReference: metrics.maxAbsReference,
    });
  }
  return divergenceOf(layers);
}

/** The outputs of these layers of a Keras model for the given inputs (the model's layout). */
export async function probeLayerOutputs(model: KerasConversion['model'], outputs: ReadonlyArray<{ layer: string; call: number }>, inputs: readonly Tensor[]): Promise<Tensor[]> {
  const { createKerasProbeRunner } = await import('../../runtimes/keras/index.ts');
  const runner = await createKerasProbeRunner(model, outputs);
  try {
    return await runner.run(inputs);
  } finally {
    await runner.dispose();
  }
}

/** The first layer, in execution order, past the threshold. */
export function divergenceOf(layers: DivergentLayer[]): Divergence {
  const first = layers.find((l) => !(l.maxAbsDiff <= ABS + REL * l.maxAbsReference)) ?? null;
  return { first, layers, tolerance: ABS };
}
