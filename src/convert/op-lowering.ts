// Which TFLite builtins each captured PyTorch call lowers to, observed on real conversions: every
// golden with a captured graph is built into Keras and lowered to the float IR (before the graph
// passes fold and fuse operators across layers), and each IR operator is credited to the graph
// node whose Keras layer(s) wrote it. docs/supported-ops.md is rendered from this and from the
// registry (src/keras/builder/supported_ops.ts), so neither column is written by hand.
import type { Golden } from '../golden/index.ts';
import type { ObservedLowering } from '../keras/builder/supported_ops.ts';
import type { IrGraph } from '../tflite/ir/index.ts';
import { lowerKerasModel } from '../tflite/lower/lower.ts';
import { buildKeras } from './convert.ts';

function operatorsByLayer(graph: IrGraph, into = new Map<string, Set<string>>()): Map<string, Set<string>> {
  for (const op of graph.ops) {
    const ops = into.get(op.layer) ?? new Set<string>();
    ops.add(op.op);
    into.set(op.layer, ops);
    if (op.loop) {
      // A loop's body and condition belong to the layer that wrote the WHILE.
      for (const sub of [op.loop.cond, op.loop.body]) for (const inner of operatorsByLayer(sub).values()) for (const name of inner) ops.add(name);
    }
  }
  return into;
}

export async function observeOpLowering(goldens: readonly Golden[]): Promise<ObservedLowering> {
  const observed = new Map<string, Set<string>>();
  for (const golden of goldens) {
    if ('error' in golden.manifest.graph) continue;
    const { graph } = await golden.graph();
    const keras = await buildKeras(golden);
    try {
      const batchSize = golden.manifest.inputs[0]?.shape[0] ?? 1;
      const lowered = lowerKerasModel(keras.model, batchSize, { groupedConvolution: 'grouped-filter', recurrence: 'loop' });
      const byLayer = operatorsByLayer(lowered.graph);
      const nodeNames = new Set(graph.nodes.map((node) => node.name));
      for (const node of graph.nodes) {
        // A node's layers: the one named after it, the helpers it named `<node>__<part>`, and the
        // layer holding its output unless that layer is another node's (no-op nodes map there).
        const own = keras.build.nodeLayers[node.name];
        const layers = [...byLayer.keys()].filter((layer) => layer === node.name || layer.startsWith(`${node.name}__`) || (layer === own && !nodeNames.has(own)));
        const ops = observed.get(node.op) ?? new Set<string>();
        for (const layer of layers) for (const name of byLayer.get(layer)!) ops.add(name);
        observed.set(node.op, ops);
      }
    } finally {
      keras.model.dispose();
    }
  }
  return observed;
}
