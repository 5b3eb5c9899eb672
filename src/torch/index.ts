export { SafetensorsFormatError, decodeSafetensors, encodeSafetensors, type SafetensorsFile } from './safetensors.ts';
