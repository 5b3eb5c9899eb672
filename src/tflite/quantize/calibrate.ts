// Calibration for full-integer quantization: the float32 TFLite model, with every operator
// output exposed as a graph output, runs in LiteRT on the representative samples; each tensor
// keeps the min and max it took over all of them.
//
// Why the float TFLite graph rather than the Keras model in tfjs: it has exactly the tensors the
// int8 graph will have, including those that exist only inside a lowering (LayerNorm's mean and
// variance, swish's sigmoid, the pre-reshape side of a Conv1D) and after fusion (a convolution's
// output is its post-ReLU value), and the fp32 conversion is tested to match Keras to 1e-5.
//
// Why min/max and not a percentile: representative sets here are small (a handful of seeded
// samples), where percentiles are noisy, and clipping an outlier turns into an error of many
// quantization steps at the output, which is what the parity checks measure. min/max never
// clips the calibration data; its cost is a coarser step when a range has a long tail.
import { createHash } from 'node:crypto';
import { createTfliteRunner } from '../../runtimes/tflite/index.ts';
import { Tensor, toLittleEndianBytes } from '../../tensor/index.ts';
import { QuantizationError } from './errors.ts';
import { rangeOf, unionRange, type Range } from './params.ts';

export interface CalibrationResult {
  /** IR value id -> [min, max] of the finite values observed. */
  readonly ranges: Map<number, Range>;
  /** IR values that held ±Infinity or NaN on some sample (a -inf mask fill): they cannot be int8. */
  readonly nonFinite: Set<number>;
  readonly samples: number;
  /** SHA-256 over every sample tensor (dtype, shape, bytes), in order. */
  readonly sha256: string;
  readonly method: 'min-max';
}

export interface CalibrationModel {
  /** The fp32 model exposing every operator output. */
  readonly bytes: Uint8Array;
  readonly inputIds: readonly number[];
  readonly inputDtypes: readonly ('float32' | 'int32')[];
  readonly outputIds: readonly number[];
}

export async function calibrate(model: CalibrationModel, samples: readonly (readonly Tensor[])[]): Promise<CalibrationResult> {
  if (samples.length === 0) throw new QuantizationError('int8 quantization needs representativeData: at least one sample (one tensor per model input, NHWC)');
  const hash = createHash('sha256');
  const ranges = new Map<number, Range>();
  const nonFinite = new Set<number>();
  const merge = (id: number, values: Float32Array) => {
    const finite = values.every(Number.isFinite) ? values : values.filter(Number.isFinite);
    if (finite !== values) nonFinite.add(id);
    const range = rangeOf(finite);
    const previous = ranges.get(id);
    ranges.set(id, previous ? unionRange([previous, range]) : range);
  };
  const runner = await createTfliteRunner(model.bytes, { name: 'calibration model (fp32, every tensor exposed)', allowNonFinite: true });
  try {
    for (const [s, sample] of samples.entries()) {
      if (sample.length !== model.inputIds.length) {
        throw new QuantizationError(`representativeData sample ${s} has ${sample.length} tensor(s); the model has ${model.inputIds.length} input(s)`);
      }
      const inputs = sample.map((tensor, i) => {
        hash.update(`${tensor.dtype}[${tensor.shape.join(',')}]`).update(toLittleEndianBytes(tensor.data));
        return model.inputDtypes[i] === 'int32' ? toInt32(tensor) : tensor.toFloat32();
      });
      inputs.forEach((tensor, i) => tensor.dtype === 'float32' && merge(model.inputIds[i]!, tensor.data as Float32Array));
      const outputs = await runner.run(inputs);
      outputs.forEach((tensor, k) => tensor.dtype === 'float32' && merge(model.outputIds[k]!, tensor.data as Float32Array));
    }
  } finally {
    await runner.dispose();
  }
  return { ranges, nonFinite, samples: samples.length, sha256: hash.digest('hex'), method: 'min-max' };
}

function toInt32(tensor: Tensor): Tensor {
  if (tensor.dtype === 'int32') return tensor;
  return new Tensor('int32', tensor.shape, Int32Array.from(tensor.toFloat32().data));
}
