export {
  ConfigError,
  DEFAULT_BRIDGE_TIMEOUT_MS,
  ENV,
  TFJS_BACKEND_KINDS,
  parseCI,
  parseSlowdownHook,
  parseTfjsBackendRequest,
  readConfig,
  type SlowdownPlan,
  type TfjsBackendKind,
  type TfjsBackendRequest,
  type TorchportConfig,
} from './config.ts';
