import type { Tensor } from '../tensor/index.ts';

/** What a runner reports about the engine it drives (goes into every report row). */
export interface RunnerInfo {
  /** torch, tfjs, litert, onnxruntime. */
  readonly engine: string;
  readonly version: string;
  /** Backend or accelerator inside the engine: wasm, cpu, xnnpack... */
  readonly backend: string;
  readonly threads: number;
}

/**
 * One loaded model in one engine. The harness talks to engines only through this interface:
 * it never imports tfjs, LiteRT or onnxruntime itself.
 *
 * Tensors go in and come out in the model's own layout and order (an NHWC Keras model takes
 * NHWC inputs); mapping from PyTorch's layout is the caller's job, driven by the conversion's
 * record of each input and output.
 */
export interface Runner {
  readonly info: RunnerInfo;
  /** Names of the model's inputs and outputs, in positional order. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(inputs: readonly Tensor[]): Promise<Tensor[]>;
  dispose(): Promise<void>;
}
