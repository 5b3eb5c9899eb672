import { TorchportError } from '../../errors.ts';

/** A model cannot be quantized as asked: no or mismatched calibration samples, a tensor never observed. */
export class QuantizationError extends TorchportError {
  readonly code = 'E_TFLITE_QUANTIZATION';
}
