export { MANIFEST_FILE, WEIGHTS_FILE, GoldenManifestError, parseManifest, type GoldenManifest, type TensorSpec } from './manifest.ts';
export {
  DEFAULT_SEED_COUNT,
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
