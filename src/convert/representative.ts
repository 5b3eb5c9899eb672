import { TorchportError } from '../errors.ts';
import { seededInputs, toLittleEndianBytes, type InputDistribution, type Shape, type Tensor } from '../tensor/index.ts';
import { sha256 } from '../util/index.ts';

/** Seeds for calibration samples start here, far from the goldens' own seeds (0, 1, 2...). */
export const CALIBRATION_SEED_BASE = 1_000_000;
/** 32 samples: 8 left test inputs outside the calibrated range (int8 error 12.8% on a 1-D conv). */
export const DEFAULT_CALIBRATION_SAMPLES = 32;

export class RepresentativeDataError extends TorchportError {
  readonly code = 'E_REPRESENTATIVE_DATA';
}

/** Calibration samples for full-int8 quantization, in PyTorch's layout, and how to recognise them. */
export interface RepresentativeData {
  readonly samples: readonly (readonly Tensor[])[];
  readonly source: string;
  /** SHA-256 over every sample's little-endian bytes, in order: recorded with the int8 model. */
  readonly sha256: string;
}

/** N seeded samples from the fixture's input distribution (the default representative dataset). */
export function seededRepresentativeData(shapes: readonly Shape[], distribution: InputDistribution, count = DEFAULT_CALIBRATION_SAMPLES): RepresentativeData {
  const samples = Array.from({ length: count }, (_, i) => seededInputs(shapes, distribution, CALIBRATION_SEED_BASE + i));
  return { samples, source: `${count} seeded samples (seeds ${CALIBRATION_SEED_BASE}..${CALIBRATION_SEED_BASE + count - 1})`, sha256: hashSamples(samples) };
}

/** User samples (e.g. .npy files of real data); each must match the model's input shapes. */
export function userRepresentativeData(samples: readonly (readonly Tensor[])[], shapes: readonly Shape[], source: string): RepresentativeData {
  const problems: string[] = [];
  samples.forEach((sample, i) => {
    if (sample.length !== shapes.length) problems.push(`sample ${i} has ${sample.length} tensors, the model takes ${shapes.length} inputs`);
    sample.forEach((tensor, k) => {
      const want = shapes[k];
      if (want && (tensor.shape.length !== want.length || tensor.shape.some((d, j) => d !== want[j]))) {
        problems.push(`sample ${i} input ${k} has shape [${tensor.shape.join(', ')}], the model takes [${want.join(', ')}]`);
      }
    });
  });
  if (samples.length === 0) problems.push('no samples');
  if (problems.length) throw new RepresentativeDataError(`${source}: ${problems.join('; ')}`);
  const floats = samples.map((sample) => sample.map((t) => t.toFloat32()));
  return { samples: floats, source, sha256: hashSamples(floats) };
}

function hashSamples(samples: readonly (readonly Tensor[])[]): string {
  const parts = samples.flatMap((sample) => sample.map((t) => toLittleEndianBytes(t.data)));
  const total = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    total.set(part, at);
    at += part.length;
  }
  return sha256(total);
}
