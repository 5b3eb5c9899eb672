export { KerasInputError, createKerasRunner } from './runner.ts';
export { createKerasProbeRunner, type LayerOutput } from './probe.ts';
