export { MANIFEST_FILE, WEIGHTS_FILE, GoldenManifestError, parseManifest, serializeManifest, type AcceptedLevel, type GoldenManifest, type TensorSpec } from './manifest.ts';
export {
  DEFAULT_SEED_COUNT,
  acceptLevels,
  GoldenDiscriminationError,
  GoldenExistsError,
  GoldenMissingError,
  GoldenNameError,
  GoldenWriteRefusedError,
  checkGoldenName,
  goldenNameOf,
  listGoldenDirs,
  loadGolden,
  recordCommand,
  recordGolden,
  verifyGolden,
  type Golden,
  type GoldenVerification,
  type RecordOptions,
} from './store.ts';
export { MIN_OUTPUT_MAGNITUDE, discriminationProblems } from './discrimination.ts';
export { FLOAT64_DIR, float64File, parseFloat64Record, recordFloat64, type Float64Record, type RecordedSeed } from './float64-record.ts';
export { FLOAT64_RECORD_HINT, loadFloat64Outputs, type Float64Outputs } from './float64-reference.ts';
