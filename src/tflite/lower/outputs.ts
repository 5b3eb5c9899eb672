import { Tensor } from '../../tensor/index.ts';
import type { IrGraph } from '../ir/index.ts';

/**
 * Gives every graph output an operator that writes it. A model that computes nothing in TFLite
 * terms (Dropout in eval, clone, a permute that the NHWC layout absorbs) would otherwise name a
 * graph input or a constant as its output, and LiteRT never fills such an output buffer: the
 * caller reads stale memory. A RESHAPE to the value's own shape is the cheapest copy.
 */
export function writeEveryOutput(graph: IrGraph): void {
  graph.outputs.forEach((output, i) => {
    if (graph.producer(output.id) >= 0) return;
    const source = graph.value(output.id);
    const shape = graph.addValue({ name: `${source.name}/copy_shape`, shape: [source.shape.length], dtype: 'int32', data: new Tensor('int32', [source.shape.length], Int32Array.from(source.shape)) });
    const layer = source.layer ?? output.name;
    const [copy] = graph.appendOp('RESHAPE', layer, [source, shape], [{ name: `${source.name}/copy`, shape: source.shape, dtype: source.dtype }], { newShape: [...source.shape] });
    copy!.layer = layer;
    graph.outputs[i] = { id: copy!.id, name: output.name };
  });
}
