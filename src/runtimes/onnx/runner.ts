import * as ort from 'onnxruntime-node';
import { TorchportError } from '../../errors.ts';
import { Tensor, type DType } from '../../tensor/index.ts';
import type { Runner } from '../runner.ts';

export class OnnxRuntimeError extends TorchportError {
  readonly code = 'E_ONNX_RUNTIME';
  override readonly exitCode = 1 as const;
}

export interface OnnxRunnerOptions {
  /** Intra-op threads (default 1, to compare engines on equal terms). */
  readonly threads?: number;
  /** Names the model in error messages. */
  readonly name?: string;
}

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = { float32: 'float32', int32: 'int32', int64: 'int64', int8: 'int8', uint8: 'uint8', bool: 'bool' };
const DTYPE_OF: Record<string, DType> = { float32: 'float32', int32: 'int32', int64: 'int64', int8: 'int8', uint8: 'uint8', bool: 'bool', float16: 'float16' };

/** ONNX Runtime (CPU execution provider) on an ONNX model: tensors in the model's own layout (NCHW for torch exports). */
export async function createOnnxRunner(bytes: Uint8Array, options: OnnxRunnerOptions = {}): Promise<Runner> {
  const threads = options.threads ?? 1;
  const where = options.name ?? 'ONNX model';
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  } catch (error) {
    throw new OnnxRuntimeError(`${where}: ONNX Runtime cannot load it: ${(error as Error).message}`, { cause: error });
  }
  return {
    info: { engine: 'onnxruntime', version: ort.env.versions.node ?? 'unknown', backend: 'cpu', threads },
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(inputs) {
      if (inputs.length !== session.inputNames.length) {
        throw new OnnxRuntimeError(`${where}: takes ${session.inputNames.length} inputs (${session.inputNames.join(', ')}), got ${inputs.length}`);
      }
      const feeds: Record<string, ort.Tensor> = {};
      inputs.forEach((tensor, i) => {
        const type = ORT_TYPE[tensor.dtype];
        if (!type) throw new OnnxRuntimeError(`${where}: input ${session.inputNames[i]} has dtype ${tensor.dtype}, which this runner does not feed`);
        feeds[session.inputNames[i]!] = new ort.Tensor(type, tensor.data as ort.Tensor.DataType, [...tensor.shape]);
      });
      let results: ort.InferenceSession.OnnxValueMapType;
      try {
        results = await session.run(feeds);
      } catch (error) {
        throw new OnnxRuntimeError(`${where}: run failed: ${(error as Error).message}`, { cause: error });
      }
      return session.outputNames.map((name) => {
        const value = results[name] as ort.Tensor;
        const dtype = DTYPE_OF[value.type];
        if (!dtype) throw new OnnxRuntimeError(`${where}: output ${name} has type ${value.type}, which torchport cannot compare`);
        return new Tensor(dtype, value.dims.map(Number), (value.data as Tensor['data']).slice() as Tensor['data']);
      });
    },
    async dispose() {
      await session.release();
    },
  };
}
