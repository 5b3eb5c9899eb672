export { listFilesRecursive } from './list-files.ts';
export { publishDirectory, processAlive, replaceAtomically, replaceDirectory, sha256, sha256File, temporaryOwner, temporarySibling, writeFileAtomic } from './files.ts';
export { cleanupOnInterrupt } from './interrupt.ts';
export { MAX_ARRAY_BYTES, allocateBlock, openForReading, readFully, readHead, sha256Chunked, updateHash } from './read.ts';
export { jsonPreview } from './json-preview.ts';
