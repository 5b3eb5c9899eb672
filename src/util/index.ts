export { replaceAtomically, replaceDirectory, sha256, sha256File, temporarySibling, writeFileAtomic } from './files.ts';
export { cleanupOnInterrupt } from './interrupt.ts';
