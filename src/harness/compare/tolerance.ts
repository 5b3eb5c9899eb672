import { TorchportError } from '../../errors.ts';
import type { Float16BudgetTolerance } from './float16-budget.ts';
import type { Float64BudgetTolerance } from './float64-budget.ts';

/** numpy.allclose: |a - r| <= atol + rtol * |r| element-wise. The float32 rule. */
export interface AllcloseTolerance {
  readonly rule: 'allclose';
  readonly atol: number;
  readonly rtol: number;
}

/**
 * max|a - r| <= atol x max(1, max|r|): an absolute bound for outputs of magnitude up to 1 that
 * grows with the output's scale beyond it, because float32 rounding error grows with the magnitude
 * of the values summed (a ResNet's logits near 8 carry errors near 1e-5 in every correct engine).
 * The float32 default.
 */
export interface ScaledTolerance {
  readonly rule: 'scaled';
  readonly atol: number;
}

/**
 * max|a - r| / max|r| <= maxRelError: error relative to the output's range. The float16-budget
 * rule's floor and fallback (float16's precision is relative: 10 mantissa bits, ~4.9e-4 per rounding).
 */
export interface RelativeTolerance {
  readonly rule: 'relative';
  readonly maxRelError: number;
}

/**
 * Quantized outputs: |a - r| <= steps * outputScale element-wise (outputScale is the scale of the
 * quantized tensor the output was dequantized from), and cosine similarity >= minCosine. When the
 * runner reports no scale the rule falls back to `fallbackRelError` of the output's range.
 */
export interface QuantStepsTolerance {
  readonly rule: 'quant-steps';
  readonly steps: number;
  readonly minCosine: number;
  readonly fallbackRelError: number;
}

export type Tolerance = ScaledTolerance | AllcloseTolerance | RelativeTolerance | QuantStepsTolerance | Float64BudgetTolerance | Float16BudgetTolerance;
export type ToleranceRule = Tolerance['rule'];

/** The float32 default: max-abs-diff <= 1e-5 x max(1, max|reference|) against PyTorch. */
export const FP32_TOLERANCE: ScaledTolerance = Object.freeze({ rule: 'scaled', atol: 1e-5 });

/** The float64 budget's measured defaults (docs/tolerances.md, scripts/float64-budget.ts). */
export const FLOAT64_BUDGET: Float64BudgetTolerance = Object.freeze({ rule: 'float64-budget', k: 4, floor: 1e-6, fallbackAtol: 1e-5 });

/** The float16 budget's defaults: k as for float64, the relative rule's 1e-3 as the floor (docs/tolerances.md). */
export const FLOAT16_BUDGET: Float16BudgetTolerance = Object.freeze({ rule: 'float16-budget', k: 4, maxRelError: 1e-3 });

export class ToleranceError extends TorchportError {
  readonly code = 'E_TOLERANCE';
}

const FIELDS: Record<ToleranceRule, readonly string[]> = {
  scaled: ['atol'],
  allclose: ['atol', 'rtol'],
  relative: ['maxRelError'],
  'quant-steps': ['steps', 'minCosine', 'fallbackRelError'],
  'float64-budget': ['k', 'floor', 'fallbackAtol'],
  'float16-budget': ['k', 'maxRelError'],
};

/**
 * Reads a tolerance as suites and fixtures write it. The rule defaults to the base's rule (so
 * {"atol": 1e-4} adjusts an allclose base); missing fields keep the base's values when the rules
 * match. Unknown fields and rules are errors, never ignored.
 */
export function parseTolerance(value: unknown, base: Tolerance = FP32_TOLERANCE, where = 'tolerance'): Tolerance {
  if (value === undefined || value === null) return base;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ToleranceError(`${where}: expected an object like {"atol": 1e-5, "rtol": 0}, got ${JSON.stringify(value)}`);
  }
  const spec = value as Record<string, unknown>;
  // Without a rule the base's rule applies, except that an rtol asks for allclose (numpy's rule).
  const rule =
    spec['rule'] ?? (base.rule === 'scaled' && 'rtol' in spec ? 'allclose' : base.rule === 'float64-budget' ? absoluteRuleOf(spec) : base.rule === 'float16-budget' ? relativeRuleOf(spec) : base.rule);
  if (typeof rule !== 'string' || !(rule in FIELDS)) throw new ToleranceError(`${where}: unknown rule ${JSON.stringify(rule)} (known: ${Object.keys(FIELDS).join(', ')})`);
  const fields = FIELDS[rule as ToleranceRule];
  const unknown = Object.keys(spec).filter((key) => key !== 'rule' && !fields.includes(key));
  if (unknown.length > 0) throw new ToleranceError(`${where}: unknown field(s) ${unknown.join(', ')} for rule "${rule}" (known: ${fields.join(', ')})`);
  const inherited = (base.rule === rule || (base.rule === 'scaled' && rule === 'allclose') ? base : {}) as Record<string, unknown>;
  const read = (key: string, fallback?: number): number => {
    const v = spec[key] ?? inherited[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ToleranceError(`${where}: ${key} must be a finite number >= 0, got ${JSON.stringify(v)}`);
    return v;
  };
  switch (rule as ToleranceRule) {
    case 'scaled':
      return { rule: 'scaled', atol: read('atol') };
    case 'allclose':
      return { rule: 'allclose', atol: read('atol', 0), rtol: read('rtol', 0) };
    case 'relative':
      return { rule: 'relative', maxRelError: read('maxRelError') };
    case 'quant-steps':
      return { rule: 'quant-steps', steps: read('steps'), minCosine: read('minCosine', 0), fallbackRelError: read('fallbackRelError', 0.05) };
    case 'float64-budget':
      return { rule: 'float64-budget', k: read('k', FLOAT64_BUDGET.k), floor: read('floor', FLOAT64_BUDGET.floor), fallbackAtol: read('fallbackAtol', FP32_TOLERANCE.atol) };
    case 'float16-budget':
      return { rule: 'float16-budget', k: read('k', FLOAT16_BUDGET.k), maxRelError: read('maxRelError', FLOAT16_BUDGET.maxRelError) };
  }
}

/** Over a float64-budget base, an {atol} or {atol, rtol} without a rule asks for the scaled or the allclose rule (a fixture's TOLERANCE). */
function absoluteRuleOf(spec: Record<string, unknown>): ToleranceRule {
  return 'rtol' in spec ? 'allclose' : 'atol' in spec ? 'scaled' : 'float64-budget';
}

/** Over a float16-budget base, a {maxRelError} without a rule or k still asks for the relative rule it meant before the budget existed. */
function relativeRuleOf(spec: Record<string, unknown>): ToleranceRule {
  return 'maxRelError' in spec && !('k' in spec) ? 'relative' : 'float16-budget';
}

export function describeTolerance(tolerance: Tolerance): string {
  switch (tolerance.rule) {
    case 'scaled':
      return `max|diff| <= ${tolerance.atol} x max(1, max|ref|)`;
    case 'allclose':
      return tolerance.rtol === 0 ? `|diff| <= ${tolerance.atol}` : `|diff| <= ${tolerance.atol} + ${tolerance.rtol}*|ref|`;
    case 'relative':
      return `max|diff|/max|ref| <= ${tolerance.maxRelError}`;
    case 'quant-steps':
      return `|diff| <= ${tolerance.steps} x output scale, cosine >= ${tolerance.minCosine}`;
    case 'float64-budget':
      return `|diff vs float64| <= max(${tolerance.k} x PyTorch float32's, ${tolerance.floor} x max(1, max|ref|))`;
    case 'float16-budget':
      return `|diff vs float64| <= max(${tolerance.k} x float16 weights' cost in float64, ${tolerance.maxRelError} x max|float64|)`;
  }
}
