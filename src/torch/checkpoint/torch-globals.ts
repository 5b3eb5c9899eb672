// The allow-list: every Python global a checkpoint's data.pkl may name, and what torchport takes
// it to mean. It mirrors what torch.save writes for tensors, parameters and state dicts (see
// torch/_utils.py and torch/serialization.py) plus the containers and small types seen in
// training checkpoints. Anything else is refused by the unpickler with the global's name.
import type { DType } from '../../tensor/index.ts';
import { CheckpointFormatError } from './errors.ts';
import { PyDict, PyGlobal, PySet, PyTuple, StorageRef, TensorRef, pythonRepr, pythonTypeName, type PyValue } from './python-values.ts';

/** Storage classes torch.save names in persistent ids, and the dtype each holds. */
const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8', // torch >= 2: numel then counts bytes
};

/** Storage classes that exist in torch but hold element types torchport does not carry. */
const UNSUPPORTED_STORAGES: Readonly<Record<string, string>> = {
  ComplexHalfStorage: 'complex32',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
};

/** Tensor classes `_rebuild_from_type_v2` may re-type a tensor to. */
const TENSOR_TYPES = new Set(['torch._tensor.Tensor', 'torch.Tensor', 'torch.nn.parameter.Parameter']);

/** torch dtype objects (torch.float32, ...) may appear as plain values in configs. */
const TORCH_DTYPE_NAMES = new Set([
  'float32',
  'float',
  'float64',
  'double',
  'float16',
  'half',
  'bfloat16',
  'int64',
  'long',
  'int32',
  'int',
  'int16',
  'short',
  'int8',
  'uint8',
  'bool',
  'complex64',
  'complex128',
  'cfloat',
  'cdouble',
]);

export type StorageKind = { supported: true; dtype: DType } | { supported: false; elementType: string };

/** What a storage global means, or undefined if the global is no storage class. */
export function storageKindOf(global: PyValue): StorageKind | undefined {
  if (!(global instanceof PyGlobal) || !STORAGE_MODULES.has(global.module)) return undefined;
  const dtype = STORAGE_DTYPES[global.name];
  if (dtype) return { supported: true, dtype };
  const elementType = UNSUPPORTED_STORAGES[global.name];
  return elementType ? { supported: false, elementType } : undefined;
}

// torch.load maps any *Storage name to a storage type whatever the module; torch.save itself
// writes `torch.<Name>Storage`, and files saved from CUDA tensors by old versions `torch.cuda`.
const STORAGE_MODULES = new Set(['torch', 'torch.cuda']);

/**
 * The resolver handed to the unpickler. `where` prefixes messages about malformed arguments.
 */
export function torchGlobalResolver(where: string): (module: string, name: string) => PyGlobal | undefined {
  const fail = (problem: string): never => {
    throw new CheckpointFormatError(`${where}: ${problem}`);
  };
  const rebuildTensor = (fn: string, args: readonly PyValue[]): TensorRef => {
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    // _rebuild_tensor(storage, storage_offset, size, stride)
    const minArgs = fn === '_rebuild_tensor' ? 4 : 6;
    if (args.length < minArgs || args.length > 7) fail(`${fn} got ${args.length} arguments, expected ${minArgs}`);
    const [storage, offset, size, stride, requiresGrad] = args;
    if (!(storage instanceof StorageRef)) return fail(`${fn} expects a storage, got ${pythonTypeName(storage!)}`);
    const shape = intSequence(size!, `${fn} size`, fail);
    const strides = intSequence(stride!, `${fn} stride`, fail);
    if (shape.length !== strides.length) fail(`${fn} has ${shape.length} sizes but ${strides.length} strides`);
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) fail(`${fn} has a bad storage offset ${pythonRepr(offset ?? null)}`);
    return new TensorRef(storage, offset as number, shape, strides, requiresGrad === true, false);
  };
  const asParameter = (data: PyValue | undefined, requiresGrad: PyValue | undefined): TensorRef => {
    if (!(data instanceof TensorRef)) return fail(`_rebuild_parameter expects a tensor, got ${pythonTypeName(data ?? null)}`);
    return new TensorRef(data.storage, data.storageOffset, data.shape, data.stride, requiresGrad === true, true);
  };

  const globals: PyGlobal[] = [
    new PyGlobal('torch._utils', '_rebuild_tensor_v2', (args) => rebuildTensor('_rebuild_tensor_v2', args)),
    new PyGlobal('torch._utils', '_rebuild_tensor', (args) => rebuildTensor('_rebuild_tensor', args)),
    new PyGlobal('torch._utils', '_rebuild_parameter', (args) => asParameter(args[0], args[1])),
    new PyGlobal('torch._utils', '_rebuild_parameter_with_state', (args) => asParameter(args[0], args[1])),
    new PyGlobal('torch._utils', '_rebuild_from_type_v2', (args) => {
      // (func, new_type, args, state): torch >= 2 wraps tensors whose class or __dict__ is not plain.
      const [func, newType, funcArgs] = args;
      if (!(newType instanceof PyGlobal) || !TENSOR_TYPES.has(newType.qualifiedName)) {
        return fail(`_rebuild_from_type_v2 re-types a tensor to ${newType instanceof PyGlobal ? newType.qualifiedName : pythonTypeName(newType ?? null)}, which is not a plain tensor class`);
      }
      if (!(func instanceof PyGlobal) || !func.call || !(funcArgs instanceof PyTuple)) return fail('_rebuild_from_type_v2 has malformed arguments');
      const tensor = func.call(funcArgs.items);
      if (!(tensor instanceof TensorRef)) return fail('_rebuild_from_type_v2 did not rebuild a tensor');
      return newType.name === 'Parameter' ? asParameter(tensor, tensor.requiresGrad) : tensor;
    }),
    new PyGlobal('torch._tensor', 'Tensor'),
    new PyGlobal('torch', 'Tensor'),
    new PyGlobal('torch.nn.parameter', 'Parameter'),
    new PyGlobal('collections', 'OrderedDict', (args) => {
      const dict = new PyDict('collections.OrderedDict');
      if (args.length > 1) fail(`OrderedDict() got ${args.length} arguments`);
      if (args.length === 1) {
        for (const pair of sequenceItems(args[0]!, 'OrderedDict items', fail)) {
          const kv = sequenceItems(pair, 'OrderedDict item', fail);
          if (kv.length !== 2) fail('OrderedDict item is not a (key, value) pair');
          dict.set(kv[0]!, kv[1]!);
        }
      }
      return dict;
    }),
    new PyGlobal('torch', 'Size', (args) => new PyTuple(intSequence(args[0] ?? new PyTuple([]), 'torch.Size', fail))),
    new PyGlobal('torch', 'device', (args) => {
      // torch.device('cuda', 0) or torch.device('cpu'): kept as its string form.
      const [type, index] = args;
      if (typeof type !== 'string') return fail('torch.device expects a device type string');
      return typeof index === 'number' ? `${type}:${index}` : type;
    }),
    // Protocol 2 pickles Python 3 bytes as _codecs.encode(text, 'latin1').
    new PyGlobal('_codecs', 'encode', (args) => {
      const [textValue, encoding] = args;
      if (typeof textValue !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) return fail('_codecs.encode is only read for (str, "latin1")');
      const out = new Uint8Array(textValue.length);
      for (let i = 0; i < textValue.length; i++) {
        const code = textValue.charCodeAt(i);
        if (code > 0xff) fail('_codecs.encode latin1 text holds a character beyond U+00FF');
        out[i] = code;
      }
      return out;
    }),
  ];
  for (const module of ['builtins', '__builtin__']) {
    globals.push(new PyGlobal(module, 'set', (args) => new PySet(args.length ? [...sequenceItems(args[0]!, 'set()', fail)] : [], false)));
    globals.push(new PyGlobal(module, 'frozenset', (args) => new PySet(args.length ? [...sequenceItems(args[0]!, 'frozenset()', fail)] : [], true)));
  }
  for (const module of STORAGE_MODULES) {
    for (const name of [...Object.keys(STORAGE_DTYPES), ...Object.keys(UNSUPPORTED_STORAGES)]) globals.push(new PyGlobal(module, name));
  }
  for (const name of TORCH_DTYPE_NAMES) globals.push(new PyGlobal('torch', name));

  const byName = new Map(globals.map((g) => [g.qualifiedName, g]));
  // torch.load reads checkpoints from before PyTorch 1.7.1 moved torch.tensor to torch._tensor.
  const renamed: Readonly<Record<string, string>> = { 'torch.tensor': 'torch._tensor' };
  return (module, name) => byName.get(`${renamed[module] ?? module}.${name}`);
}

function sequenceItems(value: PyValue, what: string, fail: (problem: string) => never): readonly PyValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple) return value.items;
  return fail(`${what} must be a list or tuple, got ${pythonTypeName(value)}`);
}

function intSequence(value: PyValue, what: string, fail: (problem: string) => never): number[] {
  return sequenceItems(value, what, fail).map((item) => {
    if (typeof item !== 'number' || !Number.isSafeInteger(item) || item < 0) return fail(`${what} holds ${pythonRepr(item)}, not a non-negative integer`);
    return item;
  });
}
