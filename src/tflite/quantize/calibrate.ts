// Calibration for full-integer quantization: the float32 TFLite model, with every operator
// output exposed as a graph output, runs on the representative samples (through `execute`, which
// the caller injects: only src/runtimes/ reaches an engine); each tensor gets the range its
// observer picks from the values it took (./observers.ts). min-max needs one pass over the
// samples; the other observers a second one that fills a histogram over the first pass's range.
//
// Why the float TFLite graph rather than the Keras model in tfjs: it has exactly the tensors the
// int8 graph will have, including those that exist only inside a lowering (LayerNorm's mean and
// variance, swish's sigmoid, the pre-reshape side of a Conv1D) and after fusion (a convolution's
// output is its post-ReLU value), and the fp32 conversion is tested to match Keras to 1e-5.
import { createHash } from 'node:crypto';
import { Tensor, toLittleEndianBytes } from '../../tensor/index.ts';
import { QuantizationError } from './errors.ts';
import { Histogram, chooseRange, type Observer } from './observers.ts';
import { rangeOf, unionRange, type Range } from './params.ts';

/** Runs a TFLite model on each sample in turn and yields its outputs, in order. */
export type ExecuteModel = (bytes: Uint8Array, samples: readonly (readonly Tensor[])[]) => AsyncIterable<readonly Tensor[]>;

export interface CalibrationResult {
  /** IR value id -> the range the observer chose (within the finite values observed). */
  readonly ranges: Map<number, Range>;
  /** IR values that held ±Infinity or NaN on some sample (a -inf mask fill): they cannot be int8. */
  readonly nonFinite: Set<number>;
  readonly samples: number;
  /** SHA-256 over every sample tensor (dtype, shape, bytes), in order. */
  readonly sha256: string;
  readonly method: Observer;
}

export interface CalibrationModel {
  /** The fp32 model exposing every operator output. */
  readonly bytes: Uint8Array;
  readonly inputIds: readonly number[];
  readonly inputDtypes: readonly ('float32' | 'int32')[];
  readonly outputIds: readonly number[];
}

export interface CalibrateOptions {
  readonly execute: ExecuteModel;
  readonly observer: Observer;
}

export async function calibrate(model: CalibrationModel, samples: readonly (readonly Tensor[])[], options: CalibrateOptions): Promise<CalibrationResult> {
  if (samples.length === 0) throw new QuantizationError('int8 quantization needs representativeData: at least one sample (one tensor per model input, NHWC)');
  const hash = createHash('sha256');
  const inputs = samples.map((sample, s) => {
    if (sample.length !== model.inputIds.length) {
      throw new QuantizationError(`representativeData sample ${s} has ${sample.length} tensor(s); the model has ${model.inputIds.length} input(s)`);
    }
    return sample.map((tensor, i) => {
      hash.update(`${tensor.dtype}[${tensor.shape.join(',')}]`).update(toLittleEndianBytes(tensor.data));
      return model.inputDtypes[i] === 'int32' ? toInt32(tensor) : tensor.toFloat32();
    });
  });

  const extremes = new Map<number, Range>();
  const nonFinite = new Set<number>();
  await observe(model, inputs, options.execute, (id, values) => {
    const finite = values.every(Number.isFinite) ? values : values.filter(Number.isFinite);
    if (finite !== values) nonFinite.add(id);
    const range = rangeOf(finite);
    const previous = extremes.get(id);
    extremes.set(id, previous ? unionRange([previous, range]) : range);
  });
  let ranges = extremes;
  if (options.observer !== 'min-max') {
    const histograms = new Map([...extremes].map(([id, range]) => [id, new Histogram(range)]));
    await observe(model, inputs, options.execute, (id, values) => histograms.get(id)!.add(values));
    ranges = new Map([...histograms].map(([id, histogram]) => [id, chooseRange(options.observer, histogram)]));
  }
  return { ranges, nonFinite, samples: samples.length, sha256: hash.digest('hex'), method: options.observer };
}

/** Hands every float32 graph input and exposed output of every sample to `visit`. */
async function observe(model: CalibrationModel, inputs: readonly (readonly Tensor[])[], execute: ExecuteModel, visit: (id: number, values: Float32Array) => void): Promise<void> {
  let s = 0;
  for await (const outputs of execute(model.bytes, inputs)) {
    inputs[s++]!.forEach((tensor, i) => tensor.dtype === 'float32' && visit(model.inputIds[i]!, tensor.data as Float32Array));
    outputs.forEach((tensor, k) => tensor.dtype === 'float32' && visit(model.outputIds[k]!, tensor.data as Float32Array));
  }
  if (s !== inputs.length) throw new QuantizationError(`the calibration model ran on ${s} of ${inputs.length} samples`);
}

function toInt32(tensor: Tensor): Tensor {
  if (tensor.dtype === 'int32') return tensor;
  return new Tensor('int32', tensor.shape, Int32Array.from(tensor.toFloat32().data));
}
