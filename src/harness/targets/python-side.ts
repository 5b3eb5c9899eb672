// Targets that run torchport's converted models where users deploy them, through the TensorFlow
// worker (scripts/tf_worker.py): real Keras 3 (`keras-py`) and the native LiteRT interpreter
// (`tflite-native-<variant>`). Without the worker's packages (no `npm run setup`) their rows are
// skipped with the reason.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TorchportError } from '../../errors.ts';
import type { Tensor } from '../../tensor/index.ts';
import type { QuantizeVariant } from '../../tflite/lower/index.ts';
import type { Golden } from '../../golden/index.ts';
import { tfliteTarget, type ConversionSource, type TfliteEngine } from './converted.ts';
import { TargetUnavailableError, type SelfTimedLatency, type Target } from './target.ts';

/** The worker's packages are missing: a skip with the reason, not an error of the model. */
export async function unlessUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TorchportError && error.code === 'E_TF_WORKER_UNAVAILABLE') throw new TargetUnavailableError(error.message);
    throw error;
  }
}

/** Many more than any budget allows: the time budget ends a batch. */
const RUNS_CAP = 100_000;

const NATIVE_LITERT: TfliteEngine = {
  prefix: 'tflite-native',
  open: (bytes, name) =>
    unlessUnavailable(async () => {
      const { createTfliteNativeRunner } = await import('../../runtimes/tflite-native/index.ts');
      return createTfliteNativeRunner(bytes, { name });
    }),
  selfTimed: (bytes, name, targetName, inputs) => nativeSelfTimed(bytes, name, targetName, inputs),
};

/** One interpreter on 1 thread and one on every core, each timed inside the worker. */
export async function nativeSelfTimed(bytes: Uint8Array, name: string, targetName: string, inputs: readonly Tensor[]): Promise<SelfTimedLatency[]> {
  const { createTfliteNativeRunner } = await import('../../runtimes/tflite-native/index.ts');
  const threadCounts = [...new Set([1, availableParallelism()])];
  return Promise.all(
    threadCounts.map(async (threads): Promise<SelfTimedLatency> => {
      const runner = await createTfliteNativeRunner(bytes, { name, threads });
      return {
        name: threadCounts.length === 1 ? targetName : `${targetName} (${threads} thr)`,
        info: runner.info,
        async warmUp(budgetMs, minRuns) {
          return minRuns + (await runner.bench(inputs, { warmup: minRuns, runs: RUNS_CAP, minRuns: 1, maxSeconds: budgetMs / 1000 })).length;
        },
        measure: (budgetMs, minRuns) => runner.bench(inputs, { warmup: 0, runs: RUNS_CAP, minRuns, maxSeconds: budgetMs / 1000 }),
        close: () => runner.dispose(),
      };
    }),
  );
}

/** One TFLite variant run in the native LiteRT interpreter (ai-edge-litert). */
export function tfliteNativeTarget(variant: QuantizeVariant, source: ConversionSource): Target {
  return tfliteTarget(variant, source, NATIVE_LITERT);
}

/**
 * The same Keras model converted by TensorFlow's TFLiteConverter instead of torchport's writer
 * (int8 calibrated on the same representative samples), run in the native interpreter: the
 * route a Keras user takes, side by side with torchport's own TFLite.
 */
export function tfConverterTarget(variant: QuantizeVariant, source: ConversionSource): Target {
  const converted = new Map<string, Promise<Uint8Array>>();
  const viaTensorFlow: ConversionSource = {
    keras: (golden) => source.keras(golden),
    tflite(golden, wanted) {
      const key = `${golden.dir}\u0000${wanted}`;
      let bytes = converted.get(key);
      if (!bytes) {
        bytes = unlessUnavailable(() => convertGoldenWithTensorFlow(golden, wanted, source));
        converted.clear(); // one golden at a time, as the conversion cache does
        converted.set(key, bytes);
      }
      return bytes;
    },
  };
  return tfliteTarget(variant, viaTensorFlow, { ...NATIVE_LITERT, prefix: 'tflite-tfconverter' });
}

async function convertGoldenWithTensorFlow(golden: Golden, variant: QuantizeVariant, source: ConversionSource): Promise<Uint8Array> {
  const conversion = await source.keras(golden);
  const [{ saveKerasH5 }, { convertWithTensorFlow }, { defaultRepresentative, toKerasLayout }] = await Promise.all([
    import('../../keras/io/index.ts'),
    import('../../runtimes/keras-py/index.ts'),
    import('../../convert/index.ts'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'torchport-tfconverter-'));
  try {
    const h5 = join(dir, 'model.h5');
    await saveKerasH5(conversion.model, h5);
    const representative = variant === 'int8' ? defaultRepresentative(golden).samples.map((sample) => toKerasLayout(sample, conversion.io.inputs)) : undefined;
    return await convertWithTensorFlow(h5, { variant, batch: golden.manifest.inputs[0]!.shape[0] ?? 1, ...(representative ? { representative } : {}) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Saved-model outputs from the .h5 and the .keras round trip must agree exactly. */
export class KerasFormatMismatchError extends TorchportError {
  readonly code = 'E_KERAS_FORMAT_MISMATCH';
  override readonly exitCode = 1 as const;
}

/**
 * The converted Keras model as a user gets it: written as model.h5 and as model.keras (Keras 3's
 * native format, torchport's own writer), torchport_layers.py beside them, each loaded by
 * keras.models.load_model in Keras 3. Each run computes both; the .h5 model's outputs are
 * compared, the .keras model's must equal them.
 */
export function kerasPyTarget(source: ConversionSource): Target {
  return {
    name: 'keras-py',
    async open(golden) {
      const conversion = await source.keras(golden);
      const [{ saveKeras3, saveKerasH5 }, { createKerasPyRunner }, { toKerasLayout, toTorchLayout }] = await Promise.all([
        import('../../keras/io/index.ts'),
        import('../../runtimes/keras-py/index.ts'),
        import('../../convert/index.ts'),
      ]);
      const dir = await mkdtemp(join(tmpdir(), 'torchport-keras-py-'));
      try {
        const h5 = join(dir, 'model.h5');
        const native = join(dir, 'model.keras');
        await saveKerasH5(conversion.model, h5);
        await saveKeras3(conversion.model, native);
        const [fromH5, fromKeras] = await unlessUnavailable(async () => [await createKerasPyRunner(h5), await createKerasPyRunner(native)] as const);
        return {
          info: fromH5.info,
          async run(inputs: readonly Tensor[]) {
            const kerasInputs = toKerasLayout(inputs, conversion.io.inputs);
            const [a, b] = [await fromH5.run(kerasInputs), await fromKeras.run(kerasInputs)];
            const differing = a.findIndex((tensor, i) => !sameValues(tensor, b[i]));
            if (differing >= 0) throw new KerasFormatMismatchError(`${golden.manifest.name}: Keras 3 computes output ${differing} differently from model.h5 and from model.keras (saved from it)`);
            return toTorchLayout(a, conversion.io.outputs);
          },
          async close() {
            await Promise.all([fromH5.dispose(), fromKeras.dispose()]);
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    },
  };
}

function sameValues(a: Tensor, b: Tensor | undefined): boolean {
  if (!b || a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const [x, y] = [new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
