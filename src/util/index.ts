export { listFilesRecursive } from './list-files.ts';
export { publishDirectory, processAlive, replaceAtomically, replaceDirectory, sha256, sha256File, temporaryOwner, temporarySibling, writeFileAtomic } from './files.ts';
export { cleanupOnInterrupt } from './interrupt.ts';
export { allocateBlock, openForReading, readFully, sha256Chunked } from './read.ts';
export { jsonPreview } from './json-preview.ts';
