import seedrandom from 'seedrandom';
import { Tensor, sizeOf, type Shape } from './tensor.ts';
import { TorchportError } from '../errors.ts';

/** How seeded inputs are drawn. Every sample is float32. */
export type InputDistribution =
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  /** Image-like: uniform in [0, 1], what a normalised-later pixel tensor looks like. */
  | { readonly kind: 'image' };

export const STANDARD_NORMAL: InputDistribution = { kind: 'normal', mean: 0, std: 1 };

export class InputDistributionError extends TorchportError {
  readonly code = 'E_INPUT_DISTRIBUTION';
}

/**
 * Accepts what fixtures and suites write: a name ("normal", "standard_normal", "image",
 * "uniform" meaning [-1, 1]) or an object {kind, ...parameters}.
 */
export function parseInputDistribution(value: unknown, where = 'input distribution'): InputDistribution {
  const fail = (problem: string): never => {
    throw new InputDistributionError(`${where}: ${problem}; expected "normal", "image", "uniform" or {kind: "normal", mean, std} / {kind: "uniform", low, high}`);
  };
  if (value === undefined || value === null) return STANDARD_NORMAL;
  if (typeof value === 'string') value = { kind: value };
  if (typeof value !== 'object' || Array.isArray(value)) return fail(`got ${JSON.stringify(value)}`);
  const spec = value as Record<string, unknown>;
  const number = (key: string, fallback: number): number => {
    const v = spec[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${key} must be a finite number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  switch (spec['kind']) {
    case 'normal':
    case 'standard_normal': {
      const std = number('std', 1);
      if (std <= 0) fail(`std must be positive, got ${std}`);
      return { kind: 'normal', mean: number('mean', 0), std };
    }
    case 'uniform': {
      const low = number('low', -1);
      const high = number('high', 1);
      if (!(high > low)) fail(`uniform needs low < high, got [${low}, ${high}]`);
      return { kind: 'uniform', low, high };
    }
    case 'image':
      return { kind: 'image' };
    default:
      return fail(`unknown kind ${JSON.stringify(spec['kind'])}`);
  }
}

export function describeDistribution(distribution: InputDistribution): string {
  switch (distribution.kind) {
    case 'normal':
      return distribution.mean === 0 && distribution.std === 1 ? 'normal(0, 1)' : `normal(${distribution.mean}, ${distribution.std})`;
    case 'uniform':
      return `uniform[${distribution.low}, ${distribution.high})`;
    case 'image':
      return 'image[0, 1)';
  }
}

/**
 * One seeded input tensor. The stream is seedrandom's ARC4 keyed by the seed and the input's
 * position, so input i of seed s has the same bytes on every machine and run, whatever other
 * inputs are drawn. Normal samples use Box-Muller (both outputs), rounded to float32.
 */
export function seededInput(shape: Shape, distribution: InputDistribution, seed: number, inputIndex = 0): Tensor<'float32'> {
  const rng = seedrandom(`torchport/${seed}/${inputIndex}`);
  const out = new Float32Array(sizeOf(shape));
  switch (distribution.kind) {
    case 'normal': {
      const { mean, std } = distribution;
      for (let i = 0; i < out.length; i += 2) {
        const u1 = 1 - rng(); // (0, 1]: log stays finite
        const u2 = rng();
        const radius = Math.sqrt(-2 * Math.log(u1));
        out[i] = mean + std * radius * Math.cos(2 * Math.PI * u2);
        if (i + 1 < out.length) out[i + 1] = mean + std * radius * Math.sin(2 * Math.PI * u2);
      }
      break;
    }
    case 'uniform': {
      const { low, high } = distribution;
      for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * rng();
      break;
    }
    case 'image':
      for (let i = 0; i < out.length; i++) out[i] = rng();
      break;
  }
  return new Tensor('float32', shape, out);
}

/** The inputs of one model for one seed, one tensor per positional input. */
export function seededInputs(shapes: readonly Shape[], distribution: InputDistribution, seed: number): Tensor<'float32'>[] {
  return shapes.map((shape, index) => seededInput(shape, distribution, seed, index));
}
