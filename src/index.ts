// The library API: `import { ... } from 'torchport'`. The CLI is built from these same functions;
// docs/api.md shows one example each. Custom Keras layers for tfjs live in 'torchport/layers'.
export { InputFileError, TorchportError, UsageError, describeError, isTorchportError } from './errors.ts';
export { Tensor, decodeNpy, encodeNpy, type DType, type Shape } from './tensor/index.ts';
export { TorchBridge, TorchUnavailableError, findTorchPython, readCheckpointFile, readSafetensorsFile, type BridgeVersions } from './torch/index.ts';
export {
  ArtifactsError,
  convertGolden,
  loadArtifacts,
  tfliteFileName,
  toKerasLayout,
  toTorchLayout,
  userRepresentativeData,
  writeArtifacts,
  type Conversion,
  type ConversionRecord,
  type ConvertGoldenOptions,
} from './convert/index.ts';
export {
  availableTargetNames,
  createTargets,
  defaultSuite,
  goldenNameOf,
  judgeRun,
  listGoldenDirs,
  loadGolden,
  loadSuite,
  mergeReports,
  parseRunRecord,
  parseSuite,
  recordGolden,
  verifyGolden,
  verifyModels,
  type Golden,
  type GoldenManifest,
  type ModelSource,
  type RunReport,
  type Suite,
  type Target,
  type TargetContext,
  type VerifyOptions,
} from './harness/index.ts';
export { DEFAULT_PLAN, benchModels, benchReport, type BenchOptions, type BenchResult, type MeasurePlan } from './bench/index.ts';
export { WeightTransferError, formatTransferReport, transferWeights, type TransferOptions, type TransferReport } from './keras/transfer/index.ts';
export { renderHtml, renderJunit, renderMarkdown, summaryTable, writeReports } from './report/index.ts';
