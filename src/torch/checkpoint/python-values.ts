// The values a restricted unpickle produces. Plain data maps to JavaScript (None -> null, bool,
// int -> number or bigint beyond 2^53, float -> number, str -> string, bytes -> Uint8Array,
// list -> array); Python types with no faithful JavaScript twin get a small class.
import type { DType } from '../../tensor/index.ts';

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyGlobal | StorageRef | TensorRef;

/** A tuple: immutable, so APPEND on it is refused like Python refuses it. */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** dict or collections.OrderedDict; `attributes` holds an OrderedDict's instance state (e.g. `_metadata`). */
export class PyDict extends Map<PyValue, PyValue> {
  readonly attributes = new Map<string, PyValue>();
  constructor(readonly pythonType: 'dict' | 'collections.OrderedDict') {
    super();
  }
}

export class PySet {
  constructor(
    readonly items: PyValue[],
    readonly frozen: boolean,
  ) {}
}

/**
 * A global the allow-list admitted. `call` is torchport's own interpretation of what calling it
 * with pickled arguments means, written in TypeScript over plain data: no Python code is named
 * by the file and run. A global without `call` can only be passed around as a value.
 */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: readonly PyValue[]) => PyValue,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage record of the archive (`data/<key>`), as a persistent id names it. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    /** Elements, as torch.save recorded them. */
    readonly numel: number,
    readonly location: string,
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
    readonly isParameter: boolean,
  ) {}
}

/** Python's name for a value's type, for messages. */
export function pythonTypeName(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyDict) return value.pythonType;
  if (value instanceof PySet) return value.frozen ? 'frozenset' : 'set';
  if (value instanceof PyGlobal) return value.qualifiedName;
  if (value instanceof StorageRef) return 'storage';
  return 'torch.Tensor';
}

/** A short Python-style rendering of a value for error messages (bounded, never throws). */
export function pythonRepr(value: PyValue, limit = 60): string {
  let text: string;
  if (value === null) text = 'None';
  else if (typeof value === 'boolean') text = value ? 'True' : 'False';
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (typeof value === 'string') text = JSON.stringify(value.length > limit ? value.slice(0, limit) : value);
  else if (value instanceof Uint8Array) text = `<bytes of length ${value.length}>`;
  else text = `<${pythonTypeName(value)}>`;
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}
