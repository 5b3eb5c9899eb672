export { KerasInputError, createKerasRunner } from './runner.ts';
export { createKerasProbeRunner } from './probe.ts';
