export { readCheckpoint, readCheckpointFile, type Checkpoint } from './read.ts';
export { type MetadataValue } from './select.ts';
