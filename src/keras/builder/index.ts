// Automatic Keras models from captured PyTorch graphs.
export { buildKerasModel, type BuildReport, type IORecord } from './build.ts';
export { UnsupportedOpsError } from './errors.ts';
export { FAMILIES, findOp, registerCustomLayers } from './registry.ts';
