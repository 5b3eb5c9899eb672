// .tflite bytes -> TfliteModel (the main subgraph, and the others a WHILE runs) plus the
// file-level facts inspection reports.
// Strict: every index the file gives (buffer, opcode, tensor) is checked, constant sizes must
// match shape x type, and any violation is a TfliteFormatError naming what and where.
import { closeSync } from 'node:fs';
import { allocateBlock, openForReading, readFully } from '../util/index.ts';
import { FlatbufferView, TfliteFormatError, type TableView } from './flatbuffer-view.ts';
import { type Quantization, type Signature, type TfliteModel, type TfliteOperator, type TfliteTensor } from './model.ts';
import {
  OPERATORS,
  OPTIONS_TABLES,
  TENSOR_TYPES,
  TENSOR_TYPE_BYTES,
  builtinOperatorName,
  operatorForCode,
  optionsTableOf,
  slots,
  type OptionField,
  type OptionValues,
  type OptionsTableName,
} from './schema/index.ts';

export interface OperatorCodeEntry {
  name: string;
  builtinCode: number;
  deprecatedBuiltinCode: number;
  customCode?: string;
  version: number;
}

export interface TfliteFile {
  /** The model: subgraph 0, with subgraphs 1.. in `model.subgraphs` when the file has more. */
  model: TfliteModel;
  schemaVersion: number;
  fileBytes: number;
  subgraphCount: number;
  operatorCodes: OperatorCodeEntry[];
  /** Byte size of every buffer, index 0 (the sentinel) included. */
  bufferSizes: number[];
  /** Buffer index of each tensor of subgraph 0 (0 = no data). */
  tensorBuffers: number[];
  metadata: Array<{ name: string; buffer: number; bytes: Uint8Array }>;
  /** The `min_runtime_version` metadata string, when present. */
  minRuntimeVersion?: string;
  signatures: Signature[];
}

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Reads a .tflite file: the identifier is checked on the first bytes before the rest is read, and
 * the rest is read in chunks straight into one array (files over 2 GiB, whose buffers sit after
 * the flatbuffer, included) without a second copy.
 */
export function readTfliteFile(path: string, where = path): TfliteFile {
  const { fd, size } = openForReading(path);
  try {
    const short = (at: number): never => {
      throw new TfliteFormatError(`${where}: file ended at byte ${at} while being read (modified meanwhile?)`);
    };
    const head = readFully(fd, new Uint8Array(Math.min(8, size)), 0, short);
    checkHeader(new FlatbufferView(head, where));
    return readTflite(readFully(fd, allocateBlock(path, size), 0, short), where);
  } finally {
    closeSync(fd);
  }
}

function checkHeader(file: FlatbufferView): void {
  const { bytes } = file;
  if (bytes.byteLength < 8) file.fail(`${bytes.byteLength} bytes is too short for a flatbuffer header`);
  const identifier = String.fromCharCode(...bytes.subarray(4, 8));
  if (identifier !== slots.FILE_IDENTIFIER) file.fail(`file identifier is ${JSON.stringify(identifier)}, expected "${slots.FILE_IDENTIFIER}"`, 4);
}

export function readTflite(bytes: Uint8Array, where = 'TFLite model'): TfliteFile {
  const file = new FlatbufferView(bytes, where);
  checkHeader(file);
  const root = file.root();
  const M = slots.MODEL;
  const schemaVersion = root.u32(M.version, 'version');
  if (schemaVersion !== slots.SCHEMA_VERSION) file.fail(`schema version ${schemaVersion} is not supported (expected ${slots.SCHEMA_VERSION})`);

  const operatorCodes = root.tables(M.operatorCodes, 'operator_codes').map((table, i) => readOperatorCode(table, i));

  const buffers = root.tables(M.buffers, 'buffers').map((table, i) => readBuffer(file, table, i));
  if (buffers.length === 0) file.fail('the model has no buffers (buffer 0, the empty sentinel, is required)');

  const subgraphs = root.tables(M.subgraphs, 'subgraphs');
  if (subgraphs.length === 0) file.fail('the model has no subgraph');
  const { model, tensorBuffers } = readSubgraph(file, subgraphs[0]!, operatorCodes, buffers);
  model.description = root.string(M.description, 'description') ?? '';
  if (subgraphs.length > 1) {
    model.subgraphs = subgraphs.slice(1).map((table, k) => {
      const { model: graph } = readSubgraph(file, table, operatorCodes, buffers);
      return { name: table.string(slots.SUBGRAPH.name, 'name') ?? `subgraph_${k + 1}`, tensors: graph.tensors, operators: graph.operators, inputs: graph.inputs, outputs: graph.outputs };
    });
  }

  const metadata = root.tables(M.metadata, 'metadata').map((table, i) => {
    const name = table.string(slots.METADATA.name, 'name') ?? '';
    const buffer = table.u32(slots.METADATA.buffer, 'buffer');
    if (buffer >= buffers.length) file.fail(`metadata[${i}] "${name}" points at buffer ${buffer} but there are ${buffers.length}`);
    return { name, buffer, bytes: buffers[buffer]! };
  });
  const versionEntry = metadata.find((entry) => entry.name === 'min_runtime_version');
  const minRuntimeVersion = versionEntry ? new TextDecoder().decode(versionEntry.bytes).replace(/\0+$/, '') : undefined;

  const tensorCount = model.tensors.length;
  const signatures = root.tables(M.signatureDefs, 'signature_defs').map((table, i) => {
    const S = slots.SIGNATURE_DEF;
    const subgraphIndex = table.u32(S.subgraphIndex, 'subgraph_index');
    if (subgraphIndex >= subgraphs.length) file.fail(`signature_defs[${i}] names subgraph ${subgraphIndex} but there are ${subgraphs.length}`);
    const entries = (slot: number, role: string) =>
      table.tables(slot, role).map((entry, k) => {
        const name = entry.string(slots.TENSOR_MAP.name, 'name') ?? '';
        const tensor = entry.u32(slots.TENSOR_MAP.tensorIndex, 'tensor_index');
        if (subgraphIndex === 0 && tensor >= tensorCount) file.fail(`signature_defs[${i}].${role}[${k}] "${name}" points at tensor ${tensor} but subgraph 0 has ${tensorCount}`);
        return { name, tensor };
      });
    const signature: Signature = { key: table.string(S.signatureKey, 'signature_key') ?? '', inputs: entries(S.inputs, 'inputs'), outputs: entries(S.outputs, 'outputs') };
    if (subgraphIndex === 0 && !model.signature) model.signature = signature;
    return signature;
  });

  return {
    model,
    schemaVersion,
    fileBytes: bytes.byteLength,
    subgraphCount: subgraphs.length,
    operatorCodes,
    bufferSizes: buffers.map((b) => b.byteLength),
    tensorBuffers,
    metadata,
    ...(minRuntimeVersion === undefined ? {} : { minRuntimeVersion }),
    signatures,
  };
}

function readOperatorCode(table: TableView, index: number): OperatorCodeEntry {
  const C = slots.OPERATOR_CODE;
  const deprecatedBuiltinCode = table.i8(C.deprecatedBuiltinCode, 'deprecated_builtin_code');
  const extended = table.i32(C.builtinCode, 'builtin_code');
  // Files from before the extended field only set the byte; newer ones set both, with the byte
  // saturated at 127 for larger codes. The larger of the two is the operator.
  const builtinCode = Math.max(deprecatedBuiltinCode, extended);
  if (builtinCode < 0) table.file.fail(`operator_codes[${index}] has a negative builtin code ${builtinCode}`);
  const version = table.i32(C.version, 'version', 1);
  const customCode = table.string(C.customCode, 'custom_code');
  const name = customCode !== undefined ? `CUSTOM(${customCode})` : builtinOperatorName(builtinCode);
  return { name, builtinCode, deprecatedBuiltinCode, version, ...(customCode === undefined ? {} : { customCode }) };
}

function readBuffer(file: FlatbufferView, table: TableView, index: number): Uint8Array {
  const data = table.bytes(slots.BUFFER.data, 'data');
  if (data) return data;
  // Models over 2 GB keep buffers outside the flatbuffer: `offset` from the start of the file.
  const offset = table.u64(slots.BUFFER.offset, 'offset');
  const size = table.u64(slots.BUFFER.size, 'size');
  if (offset > 1n) {
    if (offset > MAX_SAFE_BIGINT || size > MAX_SAFE_BIGINT || offset + size > BigInt(file.bytes.byteLength)) {
      file.fail(`buffers[${index}] claims bytes ${offset}..${offset + size} outside the ${file.bytes.byteLength}-byte file`);
    }
    return file.bytes.subarray(Number(offset), Number(offset + size));
  }
  return new Uint8Array(0);
}

function readSubgraph(file: FlatbufferView, subgraph: TableView, codes: readonly OperatorCodeEntry[], buffers: readonly Uint8Array[]): { model: TfliteModel; tensorBuffers: number[] } {
  const G = slots.SUBGRAPH;
  const tensorBuffers: number[] = [];
  const tensors = subgraph.tables(G.tensors, 'tensors').map((table, i): TfliteTensor => {
    const T = slots.TENSOR;
    const name = table.string(T.name, 'name') ?? '';
    const label = `tensor ${i} "${name}"`;
    const shape = table.int32s(T.shape, 'shape') ?? [];
    const typeCode = table.i8(T.type, 'type');
    const type = TENSOR_TYPES[typeCode];
    if (type === undefined) file.fail(`${label} has unknown tensor type ${typeCode}`);
    const buffer = table.u32(T.buffer, 'buffer');
    if (buffer >= buffers.length) file.fail(`${label} points at buffer ${buffer} but there are ${buffers.length}`);
    tensorBuffers.push(buffer);
    const tensor: TfliteTensor = { name, type, shape };
    const signature = table.int32s(T.shapeSignature, 'shape_signature');
    if (signature && signature.some((d, k) => d !== shape[k])) tensor.shapeSignature = signature;
    const data = buffers[buffer]!;
    if (data.byteLength > 0) {
      if (shape.some((d) => d < 0)) file.fail(`${label} is a constant with a negative dimension in [${shape.join(', ')}]`);
      const width = TENSOR_TYPE_BYTES[type];
      const elements = shape.reduce((a, b) => a * b, 1);
      if (width !== undefined && elements * width !== data.byteLength) {
        file.fail(`${label} is ${type}[${shape.join(', ')}] (${elements * width} bytes) but its buffer ${buffer} holds ${data.byteLength}`);
      }
      tensor.data = data;
    }
    if (table.bool(T.isVariable, 'is_variable')) {
      if (tensor.data) file.fail(`${label} is a variable tensor with constant data`);
      tensor.isVariable = true;
    }
    const quantization = table.table(T.quantization, 'quantization');
    if (quantization) {
      const q = readQuantization(quantization, label);
      if (q) tensor.quantization = q;
    }
    return tensor;
  });

  const count = tensors.length;
  const indices = (values: number[] | undefined, what: string, optional: boolean): number[] => {
    const list = values ?? [];
    for (const index of list) {
      if (!(index >= 0 && index < count) && !(optional && index === -1)) file.fail(`${what} refers to tensor ${index} but the subgraph has ${count}`);
    }
    return list;
  };

  const operators = subgraph.tables(G.operators, 'operators').map((table, k): TfliteOperator => {
    const O = slots.OPERATOR;
    const opcodeIndex = table.u32(O.opcodeIndex, 'opcode_index');
    const code = codes[opcodeIndex];
    if (!code) file.fail(`operator ${k} uses operator code ${opcodeIndex} but there are ${codes.length}`);
    const inputs = indices(table.int32s(O.inputs, 'inputs'), `operator ${k} (${code.name}) inputs`, true);
    const outputs = indices(table.int32s(O.outputs, 'outputs'), `operator ${k} (${code.name}) outputs`, false);
    const optionsType = table.i8(O.builtinOptionsType, 'builtin_options_type');
    const known = code.customCode === undefined ? operatorForCode(code.builtinCode) : undefined;
    const expectedTable = known && optionsTableOf(known);
    if (known && (optionsType === 0 || (expectedTable && optionsType === OPTIONS_TABLES[expectedTable].unionType))) {
      const optionsTable = table.table(O.builtinOptions, 'builtin_options');
      const options = expectedTable ? readOptions(expectedTable, optionsTable, `operator ${k} (${known})`) : undefined;
      return { op: known, inputs, outputs, version: code.version, ...(options ? { options } : {}) } as TfliteOperator;
    }
    if (known && expectedTable === undefined && optionsType !== 0) {
      file.fail(`operator ${k} (${known}) carries options of union type ${optionsType}, but ${known} takes none`);
    }
    if (known && expectedTable) {
      file.fail(`operator ${k} (${known}) carries options of union type ${optionsType}, expected ${expectedTable} (${OPTIONS_TABLES[expectedTable].unionType})`);
    }
    return {
      op: 'OPAQUE',
      name: code.name,
      builtinCode: code.builtinCode,
      ...(code.customCode === undefined ? {} : { customCode: code.customCode }),
      inputs,
      outputs,
      version: code.version,
      hasUndecodedOptions: optionsType !== 0 || table.has(O.customOptions),
    };
  });

  return {
    model: {
      description: '',
      tensors,
      operators,
      inputs: indices(subgraph.int32s(G.inputs, 'inputs'), 'subgraph inputs', false),
      outputs: indices(subgraph.int32s(G.outputs, 'outputs'), 'subgraph outputs', false),
    },
    tensorBuffers,
  };
}

function readQuantization(table: TableView, label: string): Quantization | undefined {
  const Q = slots.QUANTIZATION;
  const scale = table.float32s(Q.scale, 'scale') ?? [];
  const zeroPoints = table.int64s(Q.zeroPoint, 'zero_point') ?? [];
  const min = table.float32s(Q.min, 'min');
  const max = table.float32s(Q.max, 'max');
  // Converters attach an empty QuantizationParameters table to float tensors.
  if (scale.length === 0 && zeroPoints.length === 0 && !min && !max) return undefined;
  if (zeroPoints.some((z) => z > MAX_SAFE_BIGINT || z < -MAX_SAFE_BIGINT)) table.file.fail(`${label} has a zero point beyond 2^53`);
  return {
    scale,
    zeroPoint: zeroPoints.map(Number),
    quantizedDimension: table.i32(Q.quantizedDimension, 'quantized_dimension'),
    ...(min ? { min } : {}),
    ...(max ? { max } : {}),
  };
}

/** Decodes an options table into plain values, every scalar field present (schema defaults filled in). */
function readOptions(name: OptionsTableName, table: TableView | undefined, where: string): OptionValues {
  const values: OptionValues = {};
  const fields: Record<string, OptionField> = OPTIONS_TABLES[name].fields;
  for (const [key, field] of Object.entries(fields)) {
    switch (field.kind) {
      case 'bool':
        values[key] = table ? table.bool(field.slot, key, field.default) : field.default;
        break;
      case 'int32':
        values[key] = table ? table.i32(field.slot, key, field.default) : field.default;
        break;
      case 'float32':
        values[key] = table ? table.f32(field.slot, key, field.default) : field.default;
        break;
      case 'enum': {
        const code = table ? table.i8(field.slot, key, field.values.indexOf(field.default)) : field.values.indexOf(field.default);
        values[key] = field.values[code] ?? table!.file.fail(`${where}: ${name}.${key} has unknown value ${code} (known: ${field.values.join(', ')})`);
        break;
      }
      case 'int32[]': {
        const list = table?.int32s(field.slot, key);
        if (list) values[key] = list;
        break;
      }
    }
  }
  return values;
}

/** Every scalar option of `op` with schema defaults filled in (how the reader reports options). */
export function optionsWithDefaults(op: keyof typeof OPERATORS, options: OptionValues | undefined): OptionValues | undefined {
  const table = optionsTableOf(op);
  if (!table) return undefined;
  const filled: OptionValues = {};
  const fields: Record<string, OptionField> = OPTIONS_TABLES[table].fields;
  for (const [key, field] of Object.entries(fields)) {
    const value = options?.[key];
    if (value !== undefined) filled[key] = value;
    else if (field.kind !== 'int32[]') filled[key] = field.default;
  }
  return filled;
}

export { TfliteFormatError };
