export {
  ArtifactsError,
  CONVERSION_FILE,
  KERAS_DIR,
  buildKeras,
  convertGolden,
  defaultRepresentative,
  lowerToTflite,
  loadArtifacts,
  tfliteFileName,
  toKerasLayout,
  toTorchLayout,
  writeArtifacts,
  type Conversion,
  type ConversionRecord,
  type ConvertGoldenOptions,
  type KerasConversion,
  type LowerOptions,
} from './convert.ts';
export { CALIBRATION_SEED_BASE, DEFAULT_CALIBRATION_SAMPLES, RepresentativeDataError, seededRepresentativeData, userRepresentativeData, type RepresentativeData } from './representative.ts';
export { KerasFileConversionError, convertKerasFile, loadKerasModelFile, writeTfliteFiles, type KerasFileConversion, type KerasFileConversionOptions } from './keras-file.ts';
