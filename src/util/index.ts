export { replaceAtomically, replaceDirectory, sha256, sha256File, temporarySibling, writeFileAtomic } from './files.ts';
export { listFilesRecursive } from './list-files.ts';
