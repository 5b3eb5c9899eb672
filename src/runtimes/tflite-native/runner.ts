// A Runner over the native LiteRT interpreter (the ai-edge-litert package: TFLite's C++ runtime
// with XNNPACK, as phones and servers run it), through the TensorFlow worker. Inputs and outputs
// are the model's signature's, in the model's own dtypes (int8 I/O stays int8).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTflite } from '../../tflite/index.ts';
import { benchWorkerModel, sharedTfWorker, workerModelRunner, type BenchPlan, type LoadedModel, type TfWorker } from '../tf-worker/index.ts';
import type { Runner } from '../runner.ts';
import type { Tensor } from '../../tensor/index.ts';

export interface TfliteNativeRunnerOptions {
  /** Interpreter threads (default 1). */
  readonly threads?: number;
  /** Names the model in error messages. */
  readonly name?: string;
  readonly worker?: TfWorker;
}

export interface TfliteNativeModel extends LoadedModel {
  readonly litert: string;
  readonly threads: number;
  readonly outputQuantization: ReadonlyArray<{ scale: number; zeroPoint: number }>;
}

export interface TfliteNativeRunner extends Runner {
  /** Latency samples in ms, timed inside Python around the interpreter call (inputs in, outputs out). */
  bench(inputs: readonly Tensor[], plan: BenchPlan): Promise<number[]>;
}

/** Loads a .tflite flatbuffer in the native interpreter; throws TfWorkerUnavailableError when ai-edge-litert is missing. */
export async function createTfliteNativeRunner(bytes: Uint8Array, options: TfliteNativeRunnerOptions = {}): Promise<TfliteNativeRunner> {
  // Vetted by our strict reader first: a native parser crash would take the worker down.
  readTflite(bytes, options.name ?? 'TFLite model');
  const worker = options.worker ?? sharedTfWorker();
  await worker.requireModule('ai-edge-litert');
  const dir = await mkdtemp(join(tmpdir(), 'torchport-litert-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, 'model.tflite');
    await writeFile(path, bytes);
    const loaded = await worker.request<TfliteNativeModel>('load_tflite', { path, threads: options.threads ?? 1 });
    const runner = workerModelRunner(worker, loaded, { engine: 'litert-native', version: loaded.litert, backend: 'xnnpack-native', threads: loaded.threads }, cleanup);
    return { ...runner, bench: (inputs, plan) => benchWorkerModel(worker, loaded.handle, inputs, plan) };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
