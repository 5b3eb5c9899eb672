import { UsageError } from '../errors.ts';
import { ALL_TARGETS, onnxTarget, torchTarget, type Target } from '../harness/index.ts';
import type { TorchBridge } from '../torch/index.ts';

export interface TargetContext {
  readonly bridge: TorchBridge | null;
  readonly torchUnavailable: string | null;
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

/** Parses --targets (comma-separated) against the known targets; every unknown name is reported at once. */
export function parseTargetList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !availableTargetNames().includes(n));
  if (names.length === 0 || unknown.length) {
    throw new UsageError(`--targets: unknown target(s) ${unknown.join(', ') || '(none given)'}; available: ${availableTargetNames().join(', ')}`);
  }
  return names;
}

export function createTargets(names: readonly string[], context: TargetContext): Target[] {
  return names.map((name) => {
    const factory = FACTORIES[name as (typeof ALL_TARGETS)[number]];
    if (!factory) throw new UsageError(`target ${name} is not available in this build; available: ${availableTargetNames().join(', ')}`);
    return factory(context);
  });
}
