export {
  SafetensorsFormatError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  type SafetensorsFile,
} from './safetensors.ts';
export * from './checkpoint/index.ts';
