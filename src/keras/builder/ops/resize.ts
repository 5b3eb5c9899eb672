// Upsample / F.interpolate. Integer nearest-neighbour upscaling is Keras's UpSampling2D; every
// other case (bilinear in either align_corners mode, non-integer sizes) is torchport's Resize2D,
// which samples exactly as PyTorch does.
import { tf } from '../../../runtimes/tfjs/index.ts';
import { Resize2D } from '../../layers/index.ts';
import type { BuildContext, KValue } from '../context.ts';
import { channelsLastPerm } from '../layout.ts';
import { Unsupported, bool, literal, str, type OpNode } from '../op_node.ts';
import { firstInput, nameFor, outputShape } from './common.ts';
import { op, spellings, type OpFamily } from '../family.ts';

interface ResizeSpec {
  readonly mode: string;
  readonly alignCorners: boolean;
}

function resize(node: OpNode, ctx: BuildContext, spec: ResizeSpec): KValue[] {
  const out = outputShape(node, ctx);
  if (out.length !== 4) throw new Unsupported(`resizing a rank-${out.length} tensor (only 2-D images are supported)`);
  const x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(4), node, 'resizing runs channels-last');
  const [inH, inW] = [x.torchShape[2]!, x.torchShape[3]!];
  const [outH, outW] = [out[2]!, out[3]!];
  const name = nameFor(node, ctx);
  if (spec.mode === 'nearest') {
    if (outH % inH === 0 && outW % inW === 0) return [ctx.apply(tf.layers.upSampling2d({ size: [outH / inH, outW / inW], interpolation: 'nearest', name }), x, out, x.layout)];
    // PyTorch samples floor(dst * in / out) when the size is given; with a scale factor it uses 1 / scale, the same only when out = in * scale exactly.
    return [ctx.apply(new Resize2D({ size: [outH, outW], method: 'nearest', alignCorners: false, halfPixelCenters: false, name }), x, out, x.layout)];
  }
  if (spec.mode === 'bilinear') {
    return [ctx.apply(new Resize2D({ size: [outH, outW], method: 'bilinear', alignCorners: spec.alignCorners, halfPixelCenters: !spec.alignCorners, name }), x, out, x.layout)];
  }
  throw new Unsupported(`interpolation mode '${spec.mode}' (nearest and bilinear are supported)`);
}

/** A scale factor only matches PyTorch's sampling when it makes the output size exactly. */
function checkScale(node: OpNode, ctx: BuildContext, scale: unknown): void {
  if (scale === undefined || scale === null) return;
  const out = outputShape(node, ctx);
  const x = firstInput(node, ctx);
  const scales = Array.isArray(scale) ? scale : [scale, scale];
  if (scales.some((s, i) => typeof s !== 'number' || x.torchShape[i + 2]! * s !== out[i + 2])) throw new Unsupported(`scale_factor ${JSON.stringify(scale)} does not give a whole output size`);
}

export function upsampleModule(node: OpNode, ctx: BuildContext): KValue[] {
  const op = node.op;
  const mode = op === 'UpsamplingNearest2d' ? 'nearest' : op === 'UpsamplingBilinear2d' ? 'bilinear' : String(node.attrs['mode'] ?? 'nearest');
  const alignCorners = op === 'UpsamplingBilinear2d' ? true : node.attrs['align_corners'] === true;
  checkScale(node, ctx, node.attrs['scale_factor']);
  return resize(node, ctx, { mode, alignCorners });
}

export function interpolate(node: OpNode, ctx: BuildContext): KValue[] {
  const args = node.bind(['input', 'size=', 'scale_factor=', 'mode=', 'align_corners=', 'recompute_scale_factor=', 'antialias=']);
  if (bool(args['antialias'], 'antialias', false)) throw new Unsupported('antialias=True');
  const scale = literal(args['scale_factor'], 'scale_factor');
  checkScale(node, ctx, scale);
  return resize(node, ctx, { mode: str(args['mode'], 'mode', 'nearest'), alignCorners: bool(args['align_corners'], 'align_corners', false) });
}

export const FAMILY: OpFamily = {
  name: 'Resizing',
  layers: [Resize2D],
  ops: {
    ...spellings(['Upsample', 'UpsamplingNearest2d', 'UpsamplingBilinear2d'], op(upsampleModule)),
    ...spellings(['F.interpolate', 'F.upsample'], op(interpolate)),
  },
};
