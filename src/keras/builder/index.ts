// Automatic Keras models from captured PyTorch graphs.
export { buildKerasModel, type BuildOptions, type BuildReport, type BuiltKerasModel, type IORecord, type ValueLocation } from './build.ts';
export { KerasBuildError, UnsupportedOpsError, type UnsupportedOp } from './errors.ts';
export type { BuildTensors, InsertedPermute } from './context.ts';
export type { Layout } from './layout.ts';
export { FAMILIES, findOp, registerCustomLayers } from './registry.ts';
