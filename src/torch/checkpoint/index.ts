export { readCheckpoint, readCheckpointFile, type Checkpoint, type CheckpointLimits, type ReadCheckpointOptions } from './read.ts';
export { WELL_KNOWN_KEYS, type MetadataValue } from './select.ts';
export {
  CheckpointDTypeError,
  CheckpointFormatError,
  CheckpointKeyError,
  CheckpointLimitError,
  CheckpointStorageError,
  LegacyCheckpointError,
  PickleFormatError,
  PickleGlobalError,
  PickleLimitError,
  TorchScriptArchiveError,
  ZipChecksumError,
  ZipFormatError,
} from './errors.ts';
