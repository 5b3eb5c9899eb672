import { UsageError } from '../errors.ts';
import { availableTargetNames } from '../harness/index.ts';

export { availableTargetNames, createTargets } from '../harness/index.ts';

/** Parses --targets (comma-separated) against the registered targets; every unknown name is reported at once. */
export function parseTargetList(value: string, option = '--targets'): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !availableTargetNames().includes(n));
  if (names.length === 0 || unknown.length) {
    throw new UsageError(`${option}: unknown target(s) ${unknown.join(', ') || '(none given)'}; available: ${availableTargetNames().join(', ')}`);
  }
  return names;
}
