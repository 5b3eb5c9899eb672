import { TorchportError } from '../../errors.ts';
import type { TorchBridge } from '../../torch/index.ts';
import { ALL_TARGETS } from '../suite/index.ts';
import { artifactsSource, conversionCache, kerasTarget, tfliteTarget, type ConversionSource } from './converted.ts';
import { onnxTarget } from './onnx.ts';
import { kerasPyTarget, tfConverterTarget, tfliteNativeTarget } from './python-side.ts';
import type { Target } from './target.ts';
import { torchTarget } from './torch.ts';

export interface TargetContext {
  readonly bridge: TorchBridge | null;
  readonly torchUnavailable: string | null;
  /** Verify the output of `torchport convert` in this directory instead of converting afresh. */
  readonly artifactsDir?: string;
}

export class UnknownTargetError extends TorchportError {
  readonly code = 'E_TARGET_UNKNOWN';
}

type TargetFactory = (context: TargetContext, conversions: ConversionSource) => Target;

/** One strategy per target name; the harness only ever sees the `Target` interface. */
const FACTORIES: Partial<Record<(typeof ALL_TARGETS)[number], TargetFactory>> = {
  torch: (ctx) => torchTarget(ctx.bridge, ctx.torchUnavailable ?? undefined),
  onnx: () => onnxTarget(),
  keras: (_, conversions) => kerasTarget(conversions),
  'tflite-fp32': (_, conversions) => tfliteTarget('fp32', conversions),
  'tflite-fp16': (_, conversions) => tfliteTarget('fp16', conversions),
  'tflite-dynamic-int8': (_, conversions) => tfliteTarget('dynamic-int8', conversions),
  'tflite-int8': (_, conversions) => tfliteTarget('int8', conversions),
  'keras-py': (_, conversions) => kerasPyTarget(conversions),
  'tflite-native-fp32': (_, conversions) => tfliteNativeTarget('fp32', conversions),
  'tflite-native-fp16': (_, conversions) => tfliteNativeTarget('fp16', conversions),
  'tflite-native-dynamic-int8': (_, conversions) => tfliteNativeTarget('dynamic-int8', conversions),
  'tflite-native-int8': (_, conversions) => tfliteNativeTarget('int8', conversions),
  'tflite-tfconverter-fp32': (_, conversions) => tfConverterTarget('fp32', conversions),
  'tflite-tfconverter-dynamic-int8': (_, conversions) => tfConverterTarget('dynamic-int8', conversions),
  'tflite-tfconverter-int8': (_, conversions) => tfConverterTarget('int8', conversions),
};

/**
 * The targets a project without a suite of its own is verified on: they need the npm packages and a
 * torch, nothing more. keras-py and tflite-native need the TensorFlow side of `npm run setup`, and
 * TensorFlow's converter refuses some models outright: a suite asks for those deliberately.
 */
export const DEFAULT_TARGETS = ['torch', 'onnx', 'keras', 'tflite-fp32', 'tflite-fp16', 'tflite-dynamic-int8', 'tflite-int8'] as const;

export function availableTargetNames(): string[] {
  return ALL_TARGETS.filter((name) => FACTORIES[name]);
}

export function createTargets(names: readonly string[], context: TargetContext): Target[] {
  const unknown = names.filter((name) => !FACTORIES[name as (typeof ALL_TARGETS)[number]]);
  if (unknown.length) throw new UnknownTargetError(`unknown or unavailable target(s) ${unknown.join(', ')}; available: ${availableTargetNames().join(', ')}`);
  // One conversion per golden serves the keras and every tflite target; only the variants asked for are made.
  const conversions = context.artifactsDir ? artifactsSource(context.artifactsDir) : conversionCache();
  return names.map((name) => FACTORIES[name as (typeof ALL_TARGETS)[number]]!(context, conversions));
}
