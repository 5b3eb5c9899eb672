export { publishDirectory, processAlive, replaceAtomically, replaceDirectory, sha256, sha256File, temporaryOwner, temporarySibling, writeFileAtomic } from './files.ts';
export { cleanupOnInterrupt } from './interrupt.ts';
