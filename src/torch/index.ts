export { BridgeCrashedError, BridgeRequestError, BridgeTimeoutError, TorchBridge, type BridgeOptions, type FixtureHandle } from './bridge.ts';
export type { BridgeVersions } from './protocol.ts';
export { PROJECT_VENV_PYTHON, TORCH_INSTALL_HINT, TorchUnavailableError, findTorchPython, pythonCandidates, type TorchPython } from './python.ts';
export {
  SafetensorsFormatError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  type SafetensorsFile,
} from './safetensors.ts';
export { GRAPH_FORMAT, GraphFormatError, parseCapturedGraph, type CapturedGraph, type GraphArg, type GraphNode, type ModuleInfo, type OutputStructure, type ValueInfo } from './graph.ts';
export * from './checkpoint/index.ts';
