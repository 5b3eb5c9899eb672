export {
  TFJS_BACKEND_ENV,
  TfjsBackendError,
  activeTfjsBackend,
  describeTfjsBackend,
  initTfjsBackend,
  parseTfjsBackendRequest,
  type TfjsBackendKind,
  type TfjsBackendRequest,
  type TfjsBackendStatus,
} from './backend.ts';
export { KerasInputError, createKerasRunner } from './runner.ts';
export { createKerasProbeRunner, type LayerOutput } from './probe.ts';
