export { KerasModelFileError } from './errors.ts';
export { MODEL_JSON_NAME, WEIGHTS_BIN_NAME, loadTfjsLayersModel, saveTfjsLayersModel } from './tfjs_format.ts';
export { loadKerasH5, saveKerasH5 } from './h5_format.ts';
export { saveKeras3 } from './keras3_format.ts';
