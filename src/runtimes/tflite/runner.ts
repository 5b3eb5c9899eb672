// A Runner over the official LiteRT runtime (LiteRT.js: TFLite + XNNPACK in WebAssembly).
// It drives the package's low-level bindings rather than its `CompiledModel` wrapper because the
// wrapper only knows float32/int32/uint8 tensors, and full-integer models have int8 I/O.
//
// LiteRT does not always fail loudly: when XNNPACK refuses a node it logs an ERROR line, and
// `run` then returns whatever is in the output buffer (zeros, NaN, 1e28). So a logged ERROR
// during compile or run, or a non-finite float output, is a failure of the model here.
import { TorchportError } from '../../errors.ts';
import { Tensor, type DType } from '../../tensor/index.ts';
import { readTflite, type TfliteModel } from '../../tflite/index.ts';
import type { Runner, RunnerInfo } from '../runner.ts';
import { loadLiteRtOnce, withLiteRtLog, type LogLine } from './litert-node.ts';

/** The model failed inside LiteRT: refused at preparation, failed to run, or produced non-finite values. */
export class TfliteRuntimeError extends TorchportError {
  readonly code = 'E_TFLITE_RUNTIME';
  override readonly exitCode = 1;
  constructor(
    message: string,
    readonly log: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(log.length > 0 ? `${message}\n  LiteRT log:\n    ${log.join('\n    ')}` : message, options);
  }
}

/** Inputs handed to `run` that do not fit the model (count, dtype, shape). */
export class TfliteInputError extends TorchportError {
  readonly code = 'E_TFLITE_INPUT';
}

export interface TfliteRunnerOptions {
  /** XNNPACK threads (default 1; more needs `node --experimental-wasm-relaxed-simd`). */
  threads?: number;
  /** Names the model in error messages (a file path, a variant name). */
  name?: string;
  /**
   * Hand back ±Infinity / NaN outputs instead of failing: for int8 calibration, whose exposed
   * intermediate tensors may legitimately hold -inf (a masked_fill before a softmax).
   */
  allowNonFinite?: boolean;
}

// litert::ElementType values (litert_model_types.h) for the dtypes we move in and out.
const DTYPE_BY_ELEMENT_TYPE: Readonly<Record<number, DType>> = {
  1: 'float32',
  2: 'int32',
  3: 'uint8',
  4: 'int64',
  6: 'bool',
  7: 'int16',
  9: 'int8',
  10: 'float16',
};

interface IoSpec {
  name: string;
  dtype: DType;
  shape: number[];
  elementType: number;
}

type Deletable = { delete(): void };

export async function createTfliteRunner(bytes: Uint8Array, options: TfliteRunnerOptions = {}): Promise<Runner> {
  const label = options.name ?? 'TFLite model';
  // Our strict reader vets the file first: LiteRT's own parser is not built for hostile input,
  // and a wasm abort would take the whole runtime down for the rest of the process.
  refuseUnwrittenOutputs(readTflite(bytes, label).model, label);
  const runtime = await loadLiteRtOnce(options.threads === undefined ? {} : { threads: options.threads });
  const { wasm, environment } = runtime;

  const compiled = await withLiteRtLog(async () => {
    const pointer = wasm._malloc(bytes.byteLength);
    if (!pointer) throw new TfliteRuntimeError(`${label}: LiteRT could not allocate ${bytes.byteLength} bytes for the model`);
    wasm.HEAPU8.set(bytes, pointer);
    let model: ReturnType<typeof wasm.loadModel> | undefined;
    try {
      model = wasm.loadModel(environment, pointer, bytes.byteLength);
      const compiledModel = await wasm.compileModel(environment, model, {
        accelerator: 'wasm',
        cpuOptions: { numThreads: runtime.threads },
      } as Parameters<typeof wasm.compileModel>[2]);
      return { pointer, model, compiledModel };
    } catch (error) {
      model?.delete();
      wasm._free(pointer);
      throw error;
    }
  });
  if ('error' in compiled) {
    throw new TfliteRuntimeError(`${label}: LiteRT could not load or compile the model (${describe(compiled.error)})`, lines(compiled.log), { cause: compiled.error });
  }
  const { pointer, model, compiledModel } = compiled.value;
  const release = () => {
    compiledModel.delete();
    model.delete();
    wasm._free(pointer);
  };
  const preparationErrors = errorLines(compiled.log);
  if (preparationErrors.length > 0) {
    release();
    throw new TfliteRuntimeError(`${label}: LiteRT reported errors while preparing the model`, preparationErrors);
  }

  let inputs: IoSpec[];
  let outputs: IoSpec[];
  try {
    if (model.getNumSignatures() < 1) throw new TfliteRuntimeError(`${label}: the model has no signature; LiteRT runs models through their signatures`);
    const signature = model.getSignature(0);
    try {
      inputs = describeIo(label, 'input', vectorToArray(signature.inputNames()), (i) => model.getInputTensorType(0, i));
      outputs = describeIo(label, 'output', vectorToArray(signature.outputNames()), (i) => model.getOutputTensorType(0, i));
    } finally {
      signature.delete();
    }
  } catch (error) {
    release();
    throw error;
  }

  let disposed = false;
  const info: RunnerInfo = { engine: 'litert', version: runtime.version, backend: `xnnpack-wasm-${runtime.build}`, threads: runtime.threads };

  return {
    info,
    inputNames: inputs.map((spec) => spec.name),
    outputNames: outputs.map((spec) => spec.name),

    async run(values: readonly Tensor[]): Promise<Tensor[]> {
      if (disposed) throw new TfliteRuntimeError(`${label}: run() after dispose()`);
      checkInputs(label, inputs, values);
      const result = await withLiteRtLog(async () => {
        const owned: Deletable[] = [];
        try {
          const buffers = values.map((value, i) => {
            const tensorType = model.getInputTensorType(0, i);
            owned.push(tensorType);
            const data = new Uint8Array(value.data.buffer, value.data.byteOffset, value.data.byteLength);
            const buffer = wasm.LiteRtTensorBuffer.createManaged(environment, wasm.LiteRtTensorBufferType.HOST_MEMORY, tensorType, data.byteLength);
            owned.push(buffer);
            const at = buffer.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
            try {
              wasm.HEAPU8.set(data, at);
            } finally {
              buffer.unlock();
            }
            return buffer;
          });
          const produced = await compiledModel.run(0, buffers);
          owned.push(...produced);
          return produced.map((buffer, k) => {
            const spec = outputs[k]!;
            const at = buffer.lock(wasm.LiteRtTensorBufferLockMode.READ);
            try {
              // Copy out: the wasm heap may move (grow) on the next call.
              const raw = wasm.HEAPU8.slice(at, at + buffer.packedSize());
              return tensorOver(spec.dtype, spec.shape, raw);
            } finally {
              buffer.unlock();
            }
          });
        } finally {
          for (const object of owned) object.delete();
        }
      });
      if ('error' in result) throw new TfliteRuntimeError(`${label}: LiteRT failed to run the model (${describe(result.error)})`, lines(result.log), { cause: result.error });
      const runErrors = errorLines(result.log);
      if (runErrors.length > 0) throw new TfliteRuntimeError(`${label}: LiteRT reported errors while running the model`, runErrors);
      if (!options.allowNonFinite)
        result.value.forEach((tensor, k) => {
          const bad = firstNonFinite(tensor);
          if (bad !== undefined) {
            throw new TfliteRuntimeError(`${label}: output ${k} "${outputs[k]!.name}" holds a non-finite value (${bad.value} at flat index ${bad.index}); LiteRT likely fell off a supported kernel`);
          }
        });
      return result.value;
    },

    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await withLiteRtLog(release);
    },
  };
}

/**
 * LiteRT hands back whatever an output buffer held when no operator writes it (an output that is a
 * graph input or an empty tensor), so its numbers would be stale memory: refuse such a model.
 */
function refuseUnwrittenOutputs(model: TfliteModel, label: string): void {
  const written = new Set(model.operators.flatMap((op) => op.outputs));
  const unwritten = model.outputs.filter((index) => !written.has(index) && !model.tensors[index]?.data?.byteLength);
  if (unwritten.length === 0) return;
  const names = unwritten.map((index) => `"${model.tensors[index]?.name ?? index}"${model.inputs.includes(index) ? ' (a graph input)' : ''}`);
  throw new TfliteRuntimeError(`${label}: output(s) ${names.join(', ')} are never written by any operator; LiteRT would return stale memory for them. Give each output an operator that produces it`);
}

function describeIo(
  label: string,
  role: string,
  names: string[],
  typeOf: (i: number) => { elementType(): { value: number }; layout(): { dimensions(): { size(): number; get(i: number): number; delete(): void }; delete(): void }; delete(): void },
): IoSpec[] {
  return names.map((name, i) => {
    const tensorType = typeOf(i);
    try {
      const elementType = tensorType.elementType().value;
      const dtype = DTYPE_BY_ELEMENT_TYPE[elementType];
      if (!dtype) throw new TfliteRuntimeError(`${label}: ${role} "${name}" has LiteRT element type ${elementType}, which torchport does not exchange`);
      const layout = tensorType.layout();
      const dimensions = layout.dimensions();
      const shape = Array.from({ length: dimensions.size() }, (_, d) => dimensions.get(d));
      dimensions.delete();
      layout.delete();
      if (shape.some((d) => d < 0)) throw new TfliteRuntimeError(`${label}: ${role} "${name}" has a dynamic shape [${shape.join(', ')}]; torchport runs static shapes only`);
      return { name, dtype, shape, elementType };
    } finally {
      tensorType.delete();
    }
  });
}

function checkInputs(label: string, specs: readonly IoSpec[], values: readonly Tensor[]): void {
  const problems: string[] = [];
  if (values.length !== specs.length) problems.push(`expected ${specs.length} input(s) (${specs.map((s) => s.name).join(', ')}), got ${values.length}`);
  specs.forEach((spec, i) => {
    const value = values[i];
    if (!value) return;
    if (value.dtype !== spec.dtype) problems.push(`input ${i} "${spec.name}" must be ${spec.dtype}, got ${value.dtype}`);
    if (value.shape.length !== spec.shape.length || value.shape.some((d, k) => d !== spec.shape[k])) {
      problems.push(`input ${i} "${spec.name}" must have shape [${spec.shape.join(', ')}], got [${value.shape.join(', ')}]`);
    }
  });
  if (problems.length > 0) throw new TfliteInputError(`${label}: ${problems.join('; ')}`);
}

// WebAssembly memory is little-endian, as is every host Node runs on in practice; tensors move
// between the two as raw bytes. `raw` is a fresh copy (HEAPU8.slice), so viewing it is safe.
function tensorOver(dtype: DType, shape: readonly number[], raw: Uint8Array): Tensor {
  const buffer = raw.buffer as ArrayBuffer;
  const at = raw.byteOffset;
  switch (dtype) {
    case 'float32':
      return new Tensor(dtype, shape, new Float32Array(buffer, at, raw.byteLength / 4));
    case 'int32':
      return new Tensor(dtype, shape, new Int32Array(buffer, at, raw.byteLength / 4));
    case 'float16':
      return new Tensor(dtype, shape, new Uint16Array(buffer, at, raw.byteLength / 2));
    case 'int16':
      return new Tensor(dtype, shape, new Int16Array(buffer, at, raw.byteLength / 2));
    case 'int64':
      return new Tensor(dtype, shape, new BigInt64Array(buffer, at, raw.byteLength / 8));
    case 'int8':
      return new Tensor(dtype, shape, new Int8Array(buffer, at, raw.byteLength));
    case 'uint8':
    case 'bool':
      return new Tensor(dtype, shape, new Uint8Array(buffer, at, raw.byteLength));
    default:
      throw new TfliteRuntimeError(`LiteRT returned a ${dtype} tensor, which torchport does not exchange`);
  }
}

function firstNonFinite(tensor: Tensor): { index: number; value: number } | undefined {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'float16') return undefined;
  const values = tensor.toFloat32().data;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return { index: i, value: values[i]! };
  return undefined;
}

function vectorToArray<T>(vector: { size(): number; get(i: number): T; delete(): void }): T[] {
  try {
    return Array.from({ length: vector.size() }, (_, i) => vector.get(i));
  } finally {
    vector.delete();
  }
}

const errorLines = (log: readonly LogLine[]) => log.filter((line) => line.level === 'ERROR').map((line) => line.text);
const lines = (log: readonly LogLine[]) => log.filter((line) => line.level !== 'INFO').map((line) => line.text);
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
