export { BridgeCrashedError, BridgeRequestError, BridgeTimeoutError, TorchBridge, type FixtureHandle } from './bridge.ts';
export type { BridgeVersions } from './protocol.ts';
export { PROJECT_VENV_PYTHON, TORCH_INSTALL_HINT, TorchUnavailableError, findTorchPython, pythonCandidates } from './python.ts';
export { decodeSafetensors, encodeSafetensors, readSafetensorsFile } from './safetensors.ts';
export { FixtureLiteralError, readFixtureLiteral } from './fixture-literal.ts';
export { parseCapturedGraph, type CapturedGraph, type GraphArg, type GraphNode } from './graph.ts';
export * from './checkpoint/index.ts';
