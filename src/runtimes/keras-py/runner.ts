// A Runner over real Keras 3 (Python, TensorFlow backend): the model file (.h5 or .keras) is
// loaded by keras.models.load_model exactly as a user would, with torchport's custom layers
// registered from src/keras/io/torchport_layers.py, and run through the TensorFlow worker.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Tensor } from '../../tensor/index.ts';
import { sharedTfWorker, workerModelRunner, type IoSpec, type LoadedModel, type TfWorker } from '../tf-worker/index.ts';
import type { Runner } from '../runner.ts';

export interface KerasPyRunnerOptions {
  readonly worker?: TfWorker;
}

export interface KerasPyModel extends LoadedModel {
  readonly keras: string;
  readonly backend: string;
}

export interface KerasPyRunner extends Runner {
  /** The model's inputs and outputs as Keras 3 reports them (null: any size). */
  readonly ports: { readonly inputs: readonly IoSpec[]; readonly outputs: readonly IoSpec[] };
}

/** Loads `path` (.h5 or .keras) in Keras 3; throws TfWorkerUnavailableError when Keras is not installed. */
export async function createKerasPyRunner(path: string, options: KerasPyRunnerOptions = {}): Promise<KerasPyRunner> {
  const worker = options.worker ?? sharedTfWorker();
  await worker.requireModule('keras');
  const loaded = await worker.request<KerasPyModel>('load_keras', { path: resolve(path) });
  const runner = workerModelRunner(worker, loaded, { engine: 'keras', version: loaded.keras, backend: loaded.backend, threads: (await worker.info()).cpus });
  return { ...runner, ports: { inputs: loaded.inputs, outputs: loaded.outputs } };
}

export interface TfConvertOptions extends KerasPyRunnerOptions {
  readonly variant: 'fp32' | 'fp16' | 'dynamic-int8' | 'int8';
  /** The static batch size of the converted model's inputs. */
  readonly batch: number;
  /** Calibration samples for int8 (each one tensor per input, in the Keras model's layout). */
  readonly representative?: ReadonlyArray<readonly Tensor[]>;
}

/** TensorFlow's TFLiteConverter on a Keras model file (.h5 / .keras): the bytes of the .tflite it writes. */
export async function convertWithTensorFlow(path: string, options: TfConvertOptions): Promise<Uint8Array> {
  const worker = options.worker ?? sharedTfWorker();
  await worker.requireModule('keras');
  const samples = options.representative ?? [];
  return worker.withTensors(samples.flat(), async (paths, dir) => {
    const perSample = samples.map((sample, k) => paths.slice(k * sample.length, (k + 1) * sample.length));
    const out = join(dir, 'model.tflite');
    await worker.request('tf_convert', { path: resolve(path), out, variant: options.variant, batch: options.batch, representative: perSample });
    return new Uint8Array(await readFile(out));
  });
}
