export { KerasModelFileError } from './errors.ts';
export { MODEL_JSON_NAME, WEIGHTS_BIN_NAME, loadTfjsLayersModel, saveTfjsLayersModel, type SavedTfjsModel } from './tfjs_format.ts';
export { loadKerasH5, saveKerasH5 } from './h5_format.ts';
export { registerTorchportLayers } from './register.ts';
export { KERAS_PYTHON_LAYERS_NAME } from './h5_format.ts';
export { saveKeras3 } from './keras3_format.ts';
