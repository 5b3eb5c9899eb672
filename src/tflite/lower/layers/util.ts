import type { LoweringContext } from '../context.ts';

/** A Keras int-or-pair config value (kernelSize, strides, dilationRate, poolSize) as a pair. */
export function pair(ctx: LoweringContext, key: string, fallback?: number): [number, number] {
  const value = ctx.config<number | number[] | null>(key);
  if (value === undefined || value === null) {
    if (fallback === undefined) ctx.fail(`config has no '${key}'`);
    return [fallback, fallback];
  }
  if (typeof value === 'number') return [value, value];
  if (value.length === 1) return [value[0]!, value[0]!];
  return [value[0]!, value[1]!];
}

/** A Keras int-or-[int] config value (1D kernelSize, strides, poolSize) as one number. */
export function single(ctx: LoweringContext, key: string, fallback?: number): number {
  const value = ctx.config<number | number[] | null>(key);
  if (value === undefined || value === null) {
    if (fallback === undefined) ctx.fail(`config has no '${key}'`);
    return fallback;
  }
  return typeof value === 'number' ? value : value[0]!;
}

export function requireChannelsLast(ctx: LoweringContext): void {
  const format = ctx.config<string>('dataFormat');
  if (format !== undefined && format !== 'channelsLast' && format !== 'channels_last') {
    ctx.fail(`dataFormat '${format}' is not supported: TFLite kernels are channels-last; build the Keras model NHWC`);
  }
}

/** Keras 'same'/'valid' -> TFLite SAME/VALID. */
export function tflitePadding(ctx: LoweringContext): 'SAME' | 'VALID' {
  const padding = ctx.config<string>('padding') ?? 'valid';
  if (padding === 'same') return 'SAME';
  if (padding === 'valid') return 'VALID';
  return ctx.fail(`padding '${padding}' is not supported here (use 'same' or 'valid')`);
}

/** Normalizes a possibly negative axis of a rank-`rank` tensor. */
export function axisOf(ctx: LoweringContext, axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(normalized) || normalized < 0 || normalized >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return normalized;
}

export function outputShape(ctx: LoweringContext, index = 0): readonly number[] {
  const shape = ctx.outputShapes[index];
  if (!shape) ctx.fail(`has no output ${index}`);
  return shape;
}
