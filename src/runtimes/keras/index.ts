export {
  TfjsBackendError,
  activeTfjsBackend,
  describeTfjsBackend,
  initTfjsBackend,
  type TfjsBackendStatus,
} from './backend.ts';
export { KerasInputError, createKerasRunner } from './runner.ts';
export { createKerasProbeRunner, type LayerOutput } from './probe.ts';
