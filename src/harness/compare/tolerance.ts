import { TorchportError } from '../../errors.ts';

/** numpy.allclose: |a - r| <= atol + rtol * |r| element-wise. */
export interface AllcloseTolerance {
  readonly rule: 'allclose';
  readonly atol: number;
  readonly rtol: number;
}

/** Every rule a comparison can be judged by (quantized targets add rules here). */
export type Tolerance = AllcloseTolerance;

/** The float32 default: max-abs-diff <= 1e-5 against PyTorch. */
export const FP32_TOLERANCE: AllcloseTolerance = Object.freeze({ rule: 'allclose', atol: 1e-5, rtol: 0 });

export class ToleranceError extends TorchportError {
  readonly code = 'E_TOLERANCE';
}

/**
 * Reads a tolerance override as fixtures and suites write it: {atol?, rtol?} (rule "allclose"
 * implied); missing fields keep the base's values.
 */
export function parseTolerance(value: unknown, base: Tolerance = FP32_TOLERANCE, where = 'tolerance'): Tolerance {
  if (value === undefined || value === null) return base;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ToleranceError(`${where}: expected an object like {"atol": 1e-5, "rtol": 0}, got ${JSON.stringify(value)}`);
  }
  const spec = value as Record<string, unknown>;
  const rule = spec['rule'] ?? 'allclose';
  if (rule !== 'allclose') throw new ToleranceError(`${where}: unknown rule ${JSON.stringify(rule)} (known: "allclose")`);
  const known = new Set(['rule', 'atol', 'rtol']);
  const unknown = Object.keys(spec).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new ToleranceError(`${where}: unknown field(s) ${unknown.join(', ')} (known: atol, rtol)`);
  const read = (key: 'atol' | 'rtol'): number => {
    const v = spec[key] ?? base[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ToleranceError(`${where}: ${key} must be a finite number >= 0, got ${JSON.stringify(v)}`);
    return v;
  };
  return { rule: 'allclose', atol: read('atol'), rtol: read('rtol') };
}

export function describeTolerance(tolerance: Tolerance): string {
  return tolerance.rtol === 0 ? `max|diff| <= ${tolerance.atol}` : `|diff| <= ${tolerance.atol} + ${tolerance.rtol}*|ref|`;
}
