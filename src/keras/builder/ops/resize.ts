// Upsample / F.interpolate on 2-D images and 1-D signals (resized as [N, C, L, 1] images).
// Integer nearest-neighbour upscaling is Keras's UpSampling2D; every other case (bilinear or
// linear in either align_corners mode, non-integer sizes) is torchport's Resize2D, which samples
// exactly as PyTorch does.
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
  if (out.length === 3) return [resize1d(node, ctx, spec, out)];
  if (out.length !== 4) throw new Unsupported(`resizing a rank-${out.length} tensor (1-D signals [N, C, L] and 2-D images [N, C, H, W] are supported)`);
  const x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(4), node, 'resizing runs channels-last');
  return [resize2d(node, ctx, spec, x, out, nameFor(node, ctx))];
}

/** A channels-last image resized to `out` (PyTorch shape). */
function resize2d(node: OpNode, ctx: BuildContext, spec: ResizeSpec, x: KValue, out: readonly number[], name: string): KValue {
  const [inH, inW] = [x.torchShape[2]!, x.torchShape[3]!];
  const [outH, outW] = [out[2]!, out[3]!];
  if (spec.mode === 'nearest') {
    if (outH % inH === 0 && outW % inW === 0) return ctx.apply(tf.layers.upSampling2d({ size: [outH / inH, outW / inW], interpolation: 'nearest', name }), x, out, x.layout);
    // PyTorch samples floor(dst * in / out) when the size is given; with a scale factor it uses 1 / scale, the same only when out = in * scale exactly.
    return ctx.apply(new Resize2D({ size: [outH, outW], method: 'nearest', alignCorners: false, halfPixelCenters: false, name }), x, out, x.layout);
  }
  if (spec.mode === 'bilinear' || spec.mode === 'linear') {
    return ctx.apply(new Resize2D({ size: [outH, outW], method: 'bilinear', alignCorners: spec.alignCorners, halfPixelCenters: !spec.alignCorners, name }), x, out, x.layout);
  }
  throw new Unsupported(`interpolation mode '${spec.mode}' (nearest, linear and bilinear are supported)`);
}

/**
 * A 1-D signal [N, C, L] is resized as the image [N, C, L, 1] (Keras [N, L, 1, C]: a reshape, no
 * data moves): 'linear' is bilinear with nothing to interpolate along the unit axis.
 */
function resize1d(node: OpNode, ctx: BuildContext, spec: ResizeSpec, out: readonly number[]): KValue {
  const x = ctx.relayout(firstInput(node, ctx), channelsLastPerm(3), node, 'resizing runs channels-last');
  const [batch, channels, length] = x.torchShape as [number, number, number];
  const image = ctx.apply(tf.layers.reshape({ targetShape: [length, 1, channels], name: nameFor(node, ctx, '__to_2d') }), x, [batch, channels, length, 1], { perm: channelsLastPerm(4) });
  const resized = resize2d(node, ctx, spec, image, [batch, channels, out[2]!, 1], nameFor(node, ctx));
  return ctx.apply(tf.layers.reshape({ targetShape: [out[2]!, channels], name: nameFor(node, ctx, '__to_1d') }), resized, out, { perm: channelsLastPerm(3) });
}

/** A scale factor only matches PyTorch's sampling when it makes the output size exactly. */
function checkScale(node: OpNode, ctx: BuildContext, scale: unknown): void {
  if (scale === undefined || scale === null) return;
  const out = outputShape(node, ctx);
  const x = firstInput(node, ctx);
  const spatial = out.length - 2;
  const scales = Array.isArray(scale) ? scale : new Array<unknown>(spatial).fill(scale);
  if (scales.length !== spatial || scales.some((s, i) => typeof s !== 'number' || x.torchShape[i + 2]! * s !== out[i + 2]))
    throw new Unsupported(`scale_factor ${JSON.stringify(scale)} does not give a whole output size`);
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
