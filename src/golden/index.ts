export { MANIFEST_FILE, parseManifest, serializeManifest, type GoldenManifest } from './manifest.ts';
export {
  DEFAULT_SEED_COUNT,
  acceptLevels,
  GoldenDiscriminationError,
  GoldenExistsError,
  GoldenMissingError,
  GoldenWriteRefusedError,
  goldenNameOf,
  listGoldenDirs,
  loadGolden,
  recordCommand,
  recordGolden,
  verifyGolden,
  type Golden,
} from './store.ts';
export { MIN_OUTPUT_MAGNITUDE } from './discrimination.ts';
export { FLOAT64_DIR, float64File, recordFloat64, type Float64Record } from './float64-record.ts';
export { float16WeightsError, recordFloat16Weights, type Float16WeightsRecord } from './float16-weights-record.ts';
export { loadFloat64Outputs, type Float64Outputs } from './float64-reference.ts';
