// The seed workflow's last step: a user's own Keras model (the one `torchport transfer` filled, a
// TF.js model.json or a Keras .h5) to the four TFLite variants, without a golden. Its inputs and
// outputs keep the Keras model's names, layout and order; int8 calibrates on samples in that layout.
import type * as tf from '@tensorflow/tfjs';
import { extname, join } from 'node:path';
import { TorchportError } from '../errors.ts';
import { loadKerasH5, loadTfjsLayersModel } from '../keras/io/index.ts';
import { initTfjsBackend } from '../runtimes/tfjs/index.ts';
import { executeTflite } from '../runtimes/tflite/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { QUANTIZE_VARIANTS, convertKerasToTflite, type ConversionResult, type QuantizeVariant, type RecurrenceStrategy } from '../tflite/lower/index.ts';
import { DEFAULT_OBSERVER, type Observer } from '../tflite/quantize/index.ts';
import { writeFileAtomic } from '../util/index.ts';
import { tfliteFileName } from './convert.ts';
import { seededRepresentativeData, userRepresentativeData, type RepresentativeData } from './representative.ts';

/** The Keras model cannot be converted as given (format, open dimensions). Bad input: exit 2. */
export class KerasFileConversionError extends TorchportError {
  readonly code = 'E_KERAS_FILE_CONVERSION';
}

export interface KerasFileConversionOptions {
  readonly variants?: readonly QuantizeVariant[];
  /**
   * int8 calibration samples, one tensor per input each, in the Keras model's layout, read once the
   * model's static input shapes are known (default: seeded standard-normal samples).
   */
  readonly representative?: { readonly source: string; read(shapes: readonly (readonly number[])[]): Promise<readonly (readonly Tensor[])[]> };
  readonly int8Io?: boolean;
  readonly recurrence?: RecurrenceStrategy;
  readonly observer?: Observer;
  /** int8: Keras layer names kept in float32 (see ConvertOptions.keepFloat). */
  readonly keepFloat?: readonly string[];
  /** The TFLite model's batch size where the Keras model leaves it open (default 1). */
  readonly batchSize?: number;
}

export interface KerasFileConversion {
  readonly model: tf.LayersModel;
  /** The Keras model's input shapes with the batch fixed: what calibration samples must have. */
  readonly inputShapes: readonly (readonly number[])[];
  readonly tflite: ReadonlyMap<QuantizeVariant, ConversionResult>;
  /** int8 calibration: where the samples came from; `seeded` when the user gave none. */
  readonly representative: (Pick<RepresentativeData, 'source' | 'sha256'> & { readonly count: number; readonly seeded: boolean; readonly observer: Observer }) | null;
  readonly milliseconds: { readonly load: number; readonly tflite: Readonly<Partial<Record<QuantizeVariant, number>>> };
}

/** Reads a Keras model file the way `transfer` writes them: TF.js model.json or Keras .h5. */
export async function loadKerasModelFile(path: string): Promise<tf.LayersModel> {
  const ext = extname(path).toLowerCase();
  await initTfjsBackend();
  if (ext === '.json') return loadTfjsLayersModel(path);
  if (ext === '.h5' || ext === '.hdf5') return loadKerasH5(path);
  if (ext === '.keras') throw new KerasFileConversionError(`${path}: Keras 3's .keras format is read by Keras only; save it as .h5 from Keras (model.save("model.h5")) and convert that`);
  throw new KerasFileConversionError(`${path}: expected a TF.js model.json or a Keras .h5 file`);
}

/** The input shapes TFLite needs: the batch fixed to `batch` where open, every other dimension known. */
function staticInputShapes(model: tf.LayersModel, batch: number, where: string): number[][] {
  return model.inputs.map((input, i) => {
    const shape = input.shape.map((dim, axis) => (dim === null || dim < 0 ? (axis === 0 ? batch : null) : dim));
    if (shape.some((d) => d === null)) {
      throw new KerasFileConversionError(
        `${where}: input ${model.inputNames[i]} has shape [${input.shape.map((d) => d ?? '?').join(', ')}]; TFLite needs every dimension but the batch fixed: give the Keras Input a full shape`,
      );
    }
    return shape as number[];
  });
}

export async function convertKerasFile(path: string, options: KerasFileConversionOptions = {}): Promise<KerasFileConversion> {
  const started = performance.now();
  const model = await loadKerasModelFile(path);
  const load = performance.now() - started;
  try {
    const batch = options.batchSize ?? 1;
    const shapes = staticInputShapes(model, batch, path);
    const variants = options.variants ?? QUANTIZE_VARIANTS;
    const calibration = variants.includes('int8')
      ? options.representative
        ? { ...userRepresentativeData(await options.representative.read(shapes), shapes, options.representative.source), seeded: false }
        : { ...seededRepresentativeData(shapes, { kind: 'normal', mean: 0, std: 1 }), seeded: true }
      : null;
    const tflite = new Map<QuantizeVariant, ConversionResult>();
    const milliseconds: Partial<Record<QuantizeVariant, number>> = {};
    for (const variant of variants) {
      const t0 = performance.now();
      tflite.set(
        variant,
        await convertKerasToTflite(model, {
          quantize: variant,
          batchSize: batch,
          ...(variant === 'int8' && calibration
            ? { representativeData: calibration.samples, executeModel: executeTflite, int8Io: options.int8Io ?? false, ...(options.observer ? { observer: options.observer } : {}) }
            : {}),
          ...(variant === 'int8' && options.keepFloat?.length ? { keepFloat: options.keepFloat } : {}),
          ...(options.recurrence ? { recurrence: options.recurrence } : {}),
        }),
      );
      milliseconds[variant] = performance.now() - t0;
    }
    return {
      model,
      inputShapes: shapes,
      tflite,
      representative: calibration
        ? { source: calibration.source, sha256: calibration.sha256, count: calibration.samples.length, seeded: calibration.seeded, observer: options.observer ?? DEFAULT_OBSERVER }
        : null,
      milliseconds: { load, tflite: milliseconds },
    };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Writes DIR/model.tflite, model.fp16.tflite, model.dynamic-int8.tflite, model.int8.tflite (each atomically). */
export async function writeTfliteFiles(conversion: Pick<KerasFileConversion, 'tflite'>, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const [variant, result] of conversion.tflite) {
    const file = tfliteFileName(variant);
    await writeFileAtomic(join(dir, file), result.bytes);
    written.push(file);
  }
  return written;
}
