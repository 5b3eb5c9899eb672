export { ConfigError, DEFAULT_BRIDGE_TIMEOUT_MS, ENV, readConfig, type SlowdownPlan, type TfjsBackendKind, type TfjsBackendRequest, type TorchportConfig } from './config.ts';
