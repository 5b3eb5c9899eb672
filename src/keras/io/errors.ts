import { TorchportError } from '../../errors.ts';

/** A Keras model file (model.json, weight shard, .h5) is missing, malformed or inconsistent. */
export class KerasModelFileError extends TorchportError {
  readonly code = 'E_KERAS_MODEL_FILE';
  constructor(
    readonly path: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${problem}`, options);
  }
}
