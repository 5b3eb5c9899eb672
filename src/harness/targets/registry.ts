import { TorchportError } from '../../errors.ts';
import type { TorchBridge } from '../../torch/index.ts';
import { ALL_TARGETS } from '../suite/index.ts';
import { onnxTarget } from './onnx.ts';
import type { Target } from './target.ts';
import { torchTarget } from './torch.ts';

export interface TargetContext {
  readonly bridge: TorchBridge | null;
  readonly torchUnavailable: string | null;
}

export class UnknownTargetError extends TorchportError {
  readonly code = 'E_TARGET_UNKNOWN';
}

type TargetFactory = (context: TargetContext) => Target;

/** One strategy per target name; the harness only ever sees the `Target` interface. */
const FACTORIES: Partial<Record<(typeof ALL_TARGETS)[number], TargetFactory>> = {
  torch: (ctx) => torchTarget(ctx.bridge, ctx.torchUnavailable ?? undefined),
  onnx: () => onnxTarget(),
};

export function availableTargetNames(): string[] {
  return ALL_TARGETS.filter((name) => FACTORIES[name]);
}

export function createTargets(names: readonly string[], context: TargetContext): Target[] {
  const unknown = names.filter((name) => !FACTORIES[name as (typeof ALL_TARGETS)[number]]);
  if (unknown.length) throw new UnknownTargetError(`unknown or unavailable target(s) ${unknown.join(', ')}; available: ${availableTargetNames().join(', ')}`);
  return names.map((name) => FACTORIES[name as (typeof ALL_TARGETS)[number]]!(context));
}
