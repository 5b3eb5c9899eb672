// TfliteModel -> .tflite bytes (file identifier "TFL3", schema version 3), laid out the way the
// official converter does: buffer 0 is the empty sentinel, identical constants share one buffer,
// operator codes are deduplicated with both the deprecated byte code and the extended code set,
// the main subgraph first (then those WHILE operators run), a `serving_default` signature and
// `min_runtime_version` metadata.
import { createHash } from 'node:crypto';
import { Builder } from 'flatbuffers';
import { TorchportError } from '../errors.ts';
import { defaultSignature, modelGraphs, validateModel, TfliteModelError, type TfliteGraph, type TfliteModel, type TfliteOperator, type TfliteSubgraph } from './model.ts';
import { OPERATORS, OPTIONS_TABLES, PLACEHOLDER_FOR_GREATER_OP_CODES, TENSOR_TYPES, optionsTableOf, slots, type OptionValues, type OptionsTableName } from './schema/index.ts';
import { minimumRuntimeVersion, operatorVersion } from './versions.ts';

export class TfliteWriteError extends TorchportError {
  readonly code = 'E_TFLITE_WRITE';
}

/** Flatbuffers address with signed 32-bit offsets: a file must stay under 2 GiB. */
const MAX_FLATBUFFER_BYTES = 2 ** 31 - 1;
/** The converter's `min_runtime_version` buffer is a fixed 16-byte, zero-padded string. */
const MIN_RUNTIME_VERSION_BYTES = 16;
const MIN_RUNTIME_VERSION_KEY = 'min_runtime_version';

type Offset = number;

export function writeTflite(model: TfliteModel): Uint8Array {
  validateModel(model);
  const graphs = modelGraphs(model).map((graph, g) => ({ name: g === 0 ? 'main' : (graph as TfliteSubgraph).name, graph }));
  const allTensors = graphs.flatMap(({ graph }) => graph.tensors);
  const constantBytes = allTensors.reduce((sum, t) => sum + (t.data?.byteLength ?? 0), 0);
  if (constantBytes > MAX_FLATBUFFER_BYTES) {
    throw new TfliteWriteError(`constants total ${constantBytes} bytes; a TFLite flatbuffer must stay under 2 GiB`);
  }

  // Constant buffers, deduplicated by content. Buffer 0 is the empty sentinel.
  const bufferData: Uint8Array[] = [new Uint8Array(0)];
  const bufferIndexByDigest = new Map<string, number>();
  const tensorBuffers = graphs.map(({ graph }) =>
    graph.tensors.map((tensor) => {
      if (!tensor.data) return 0;
      const digest = createHash('sha256').update(tensor.data).digest('hex');
      let index = bufferIndexByDigest.get(digest);
      if (index === undefined) {
        index = bufferData.length;
        bufferData.push(tensor.data);
        bufferIndexByDigest.set(digest, index);
      }
      return index;
    }),
  );

  // Operator codes, deduplicated by (code, version, custom code) in first-use order.
  const codes: Array<{ name: string; builtinCode: number; customCode?: string; version: number }> = [];
  const codeIndex = new Map<string, number>();
  const opcodesOf = graphs.map(({ graph }) =>
    graph.operators.map((operator) => {
      const entry = operatorCode(graph, operator);
      const key = `${entry.builtinCode}/${entry.version}/${entry.customCode ?? ''}`;
      let index = codeIndex.get(key);
      if (index === undefined) {
        index = codes.length;
        codes.push(entry);
        codeIndex.set(key, index);
      }
      return index;
    }),
  );

  const runtimeVersion = new Uint8Array(MIN_RUNTIME_VERSION_BYTES);
  runtimeVersion.set(new TextEncoder().encode(minimumRuntimeVersion(codes)).subarray(0, MIN_RUNTIME_VERSION_BYTES - 1));
  const runtimeVersionBuffer = bufferData.length;
  bufferData.push(runtimeVersion);

  const builder = new Builder(Math.min(MAX_FLATBUFFER_BYTES, 1024 + constantBytes + 256 * allTensors.length));

  // Buffers first: they are the bulk of the file and are placed at its end (flatbuffers grow backwards).
  const bufferOffsets = bufferData.map((data) => {
    let dataOffset: Offset = 0;
    if (data.byteLength > 0) {
      dataOffset = alignedByteVector(builder, data, slots.BUFFER_ALIGNMENT);
    }
    builder.startObject(slots.BUFFER.count);
    if (dataOffset) builder.addFieldOffset(slots.BUFFER.data, dataOffset, 0);
    return builder.endObject();
  });

  const writeSubgraph = ({ name: graphName, graph }: { name: string; graph: TfliteGraph }, g: number): Offset => {
    const tensorOffsets = graph.tensors.map((tensor, i) => {
      const name = builder.createString(tensor.name);
      const shape = int32Vector(builder, tensor.shape);
      const signature = tensor.shapeSignature ? int32Vector(builder, tensor.shapeSignature) : 0;
      let quantization: Offset = 0;
      const q = tensor.quantization;
      if (q) {
        const scale = float32Vector(builder, q.scale);
        const zeroPoint = int64Vector(builder, q.zeroPoint);
        const min = q.min ? float32Vector(builder, q.min) : 0;
        const max = q.max ? float32Vector(builder, q.max) : 0;
        builder.startObject(slots.QUANTIZATION.count);
        if (min) builder.addFieldOffset(slots.QUANTIZATION.min, min, 0);
        if (max) builder.addFieldOffset(slots.QUANTIZATION.max, max, 0);
        builder.addFieldOffset(slots.QUANTIZATION.scale, scale, 0);
        builder.addFieldOffset(slots.QUANTIZATION.zeroPoint, zeroPoint, 0);
        builder.addFieldInt32(slots.QUANTIZATION.quantizedDimension, q.quantizedDimension, 0);
        quantization = builder.endObject();
      }
      builder.startObject(slots.TENSOR.count);
      builder.addFieldOffset(slots.TENSOR.shape, shape, 0);
      builder.addFieldInt8(slots.TENSOR.type, TENSOR_TYPES.indexOf(tensor.type), 0);
      builder.addFieldInt32(slots.TENSOR.buffer, tensorBuffers[g]![i]!, 0);
      builder.addFieldOffset(slots.TENSOR.name, name, 0);
      if (quantization) builder.addFieldOffset(slots.TENSOR.quantization, quantization, 0);
      if (tensor.isVariable) builder.addFieldInt8(slots.TENSOR.isVariable, 1, 0);
      if (signature) builder.addFieldOffset(slots.TENSOR.shapeSignature, signature, 0);
      builder.addFieldInt8(slots.TENSOR.hasRank, 1, 0);
      return builder.endObject();
    });

    const operatorOffsets = graph.operators.map((operator, k) => {
      const inputs = int32Vector(builder, operator.inputs);
      const outputs = int32Vector(builder, operator.outputs);
      let optionsType = 0;
      let options: Offset = 0;
      if (operator.op !== 'OPAQUE') {
        const table = optionsTableOf(operator.op);
        if (table) {
          optionsType = OPTIONS_TABLES[table].unionType;
          options = encodeOptions(builder, table, (operator.options ?? {}) as OptionValues, `${g === 0 ? '' : `subgraph ${g} `}operator ${k} (${operator.op})`);
        }
      }
      builder.startObject(slots.OPERATOR.count);
      builder.addFieldInt32(slots.OPERATOR.opcodeIndex, opcodesOf[g]![k]!, 0);
      builder.addFieldOffset(slots.OPERATOR.inputs, inputs, 0);
      builder.addFieldOffset(slots.OPERATOR.outputs, outputs, 0);
      if (options) {
        builder.addFieldInt8(slots.OPERATOR.builtinOptionsType, optionsType, 0);
        builder.addFieldOffset(slots.OPERATOR.builtinOptions, options, 0);
      }
      return builder.endObject();
    });

    const subgraphName = builder.createString(graphName);
    const tensorsVector = offsetVector(builder, tensorOffsets);
    const inputsVector = int32Vector(builder, graph.inputs);
    const outputsVector = int32Vector(builder, graph.outputs);
    const operatorsVector = offsetVector(builder, operatorOffsets);
    builder.startObject(slots.SUBGRAPH.count);
    builder.addFieldOffset(slots.SUBGRAPH.tensors, tensorsVector, 0);
    builder.addFieldOffset(slots.SUBGRAPH.inputs, inputsVector, 0);
    builder.addFieldOffset(slots.SUBGRAPH.outputs, outputsVector, 0);
    builder.addFieldOffset(slots.SUBGRAPH.operators, operatorsVector, 0);
    builder.addFieldOffset(slots.SUBGRAPH.name, subgraphName, 0);
    return builder.endObject();
  };
  const subgraphOffsets = graphs.map(writeSubgraph);

  const codeOffsets = codes.map((code) => {
    const custom = code.customCode === undefined ? 0 : builder.createString(code.customCode);
    builder.startObject(slots.OPERATOR_CODE.count);
    // The byte field saturates at the placeholder; readers take the larger of the two fields.
    builder.addFieldInt8(slots.OPERATOR_CODE.deprecatedBuiltinCode, Math.min(code.builtinCode, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
    if (custom) builder.addFieldOffset(slots.OPERATOR_CODE.customCode, custom, 0);
    builder.addFieldInt32(slots.OPERATOR_CODE.version, code.version, 1);
    builder.addFieldInt32(slots.OPERATOR_CODE.builtinCode, code.builtinCode, 0);
    return builder.endObject();
  });

  const signature = model.signature ?? defaultSignature(model);
  const tensorMaps = (entries: readonly { name: string; tensor: number }[]) =>
    offsetVector(
      builder,
      entries.map((entry) => {
        const name = builder.createString(entry.name);
        builder.startObject(slots.TENSOR_MAP.count);
        builder.addFieldOffset(slots.TENSOR_MAP.name, name, 0);
        builder.addFieldInt32(slots.TENSOR_MAP.tensorIndex, entry.tensor, 0);
        return builder.endObject();
      }),
    );
  const signatureInputs = tensorMaps(signature.inputs);
  const signatureOutputs = tensorMaps(signature.outputs);
  const signatureKey = builder.createString(signature.key);
  builder.startObject(slots.SIGNATURE_DEF.count);
  builder.addFieldOffset(slots.SIGNATURE_DEF.inputs, signatureInputs, 0);
  builder.addFieldOffset(slots.SIGNATURE_DEF.outputs, signatureOutputs, 0);
  builder.addFieldOffset(slots.SIGNATURE_DEF.signatureKey, signatureKey, 0);
  builder.addFieldInt32(slots.SIGNATURE_DEF.subgraphIndex, 0, 0);
  const signatureDef = builder.endObject();

  const metadataName = builder.createString(MIN_RUNTIME_VERSION_KEY);
  builder.startObject(slots.METADATA.count);
  builder.addFieldOffset(slots.METADATA.name, metadataName, 0);
  builder.addFieldInt32(slots.METADATA.buffer, runtimeVersionBuffer, 0);
  const metadata = builder.endObject();

  const description = builder.createString(model.description);
  const codesVector = offsetVector(builder, codeOffsets);
  const subgraphsVector = offsetVector(builder, subgraphOffsets);
  const buffersVector = offsetVector(builder, bufferOffsets);
  const metadataVector = offsetVector(builder, [metadata]);
  const signaturesVector = offsetVector(builder, [signatureDef]);
  builder.startObject(slots.MODEL.count);
  builder.addFieldInt32(slots.MODEL.version, slots.SCHEMA_VERSION, 0);
  builder.addFieldOffset(slots.MODEL.operatorCodes, codesVector, 0);
  builder.addFieldOffset(slots.MODEL.subgraphs, subgraphsVector, 0);
  builder.addFieldOffset(slots.MODEL.description, description, 0);
  builder.addFieldOffset(slots.MODEL.buffers, buffersVector, 0);
  builder.addFieldOffset(slots.MODEL.metadata, metadataVector, 0);
  builder.addFieldOffset(slots.MODEL.signatureDefs, signaturesVector, 0);
  builder.finish(builder.endObject(), slots.FILE_IDENTIFIER);
  const bytes = builder.asUint8Array();
  if (bytes.byteLength > MAX_FLATBUFFER_BYTES) throw new TfliteWriteError(`the model needs ${bytes.byteLength} bytes; a TFLite flatbuffer must stay under 2 GiB`);
  return bytes;
}

function operatorCode(model: TfliteGraph, operator: TfliteOperator): { name: string; builtinCode: number; customCode?: string; version: number } {
  if (operator.op === 'OPAQUE') {
    if (operator.hasUndecodedOptions) {
      throw new TfliteModelError(`operator ${operator.name} carries options torchport cannot decode, so it cannot be written back (add its options table to src/tflite/schema/options.ts)`);
    }
    return { name: operator.name, builtinCode: operator.builtinCode, version: operator.version, ...(operator.customCode === undefined ? {} : { customCode: operator.customCode }) };
  }
  return { name: operator.op, builtinCode: OPERATORS[operator.op].code, version: operator.version ?? operatorVersion(model, operator) };
}

/** One options table from its declaration in ./schema/options.ts. */
function encodeOptions(builder: Builder, tableName: OptionsTableName, values: OptionValues, where: string): Offset {
  const fields: Record<string, { slot: number; kind: string; values?: readonly string[]; default?: unknown }> = OPTIONS_TABLES[tableName].fields;
  for (const key of Object.keys(values)) {
    if (!Object.hasOwn(fields, key)) throw new TfliteModelError(`${where}: ${tableName} has no field "${key}" (fields: ${Object.keys(fields).join(', ') || 'none'})`);
  }
  // Vectors must be finished before the table starts.
  const vectors = new Map<string, Offset>();
  for (const [key, field] of Object.entries(fields)) {
    const value = values[key];
    if (field.kind === 'int32[]' && value !== undefined) {
      if (!Array.isArray(value) || !value.every((v) => Number.isSafeInteger(v))) throw new TfliteModelError(`${where}: ${tableName}.${key} must be a list of integers`);
      vectors.set(key, int32Vector(builder, value as readonly number[]));
    }
  }
  let maxSlot = -1;
  for (const field of Object.values(fields)) maxSlot = Math.max(maxSlot, field.slot);
  builder.startObject(maxSlot + 1);
  for (const [key, field] of Object.entries(fields)) {
    const value = values[key];
    if (value === undefined) continue;
    const bad = () => new TfliteModelError(`${where}: ${tableName}.${key} = ${JSON.stringify(value)} is not a valid ${field.kind}${field.values ? ` (one of ${field.values.join(', ')})` : ''}`);
    switch (field.kind) {
      case 'bool':
        if (typeof value !== 'boolean') throw bad();
        builder.addFieldInt8(field.slot, value ? 1 : 0, field.default ? 1 : 0);
        break;
      case 'int32':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) throw bad();
        builder.addFieldInt32(field.slot, value, field.default as number);
        break;
      case 'float32':
        if (typeof value !== 'number' || Number.isNaN(value)) throw bad();
        builder.addFieldFloat32(field.slot, value, field.default as number);
        break;
      case 'enum': {
        const code = typeof value === 'string' ? field.values!.indexOf(value) : -1;
        if (code < 0) throw bad();
        builder.addFieldInt8(field.slot, code, field.values!.indexOf(field.default as string));
        break;
      }
      case 'int32[]':
        builder.addFieldOffset(field.slot, vectors.get(key)!, 0);
        break;
    }
  }
  return builder.endObject();
}

/**
 * A byte vector whose first byte sits at a multiple of `alignment` (the schema's force_align on
 * Buffer.data, which lets runtimes use weights in place). The npm Builder's createByteVector only
 * aligns to 1, so this does the same block copy after an aligned startVector; it needs the
 * Builder's private write cursor (`space`), the same one createByteVector moves.
 */
function alignedByteVector(builder: Builder, data: Uint8Array, alignment: number): Offset {
  builder.startVector(1, data.byteLength, alignment);
  const internals = builder as unknown as { space: number; bb: { setPosition(p: number): void; bytes(): Uint8Array } };
  internals.space -= data.byteLength;
  internals.bb.setPosition(internals.space);
  internals.bb.bytes().set(data, internals.space);
  return builder.endVector();
}

function int32Vector(builder: Builder, values: readonly number[]): Offset {
  builder.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) builder.addInt32(values[i]!);
  return builder.endVector();
}

function float32Vector(builder: Builder, values: readonly number[]): Offset {
  builder.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) builder.addFloat32(values[i]!);
  return builder.endVector();
}

function int64Vector(builder: Builder, values: readonly number[]): Offset {
  builder.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) builder.addInt64(BigInt(values[i]!));
  return builder.endVector();
}

function offsetVector(builder: Builder, offsets: readonly Offset[]): Offset {
  builder.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) builder.addOffset(offsets[i]!);
  return builder.endVector();
}
