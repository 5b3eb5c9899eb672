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
