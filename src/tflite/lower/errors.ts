import { TorchportError } from '../../errors.ts';

/** One Keras layer that cannot be lowered, and why. */
export interface LoweringProblem {
  readonly layer: string;
  readonly className: string;
  readonly problem: string;
}

/**
 * The Keras model cannot be lowered to TFLite builtins. Lists every offending layer at once
 * (with its class and what to do), not just the first one.
 */
export class KerasLoweringError extends TorchportError {
  readonly code = 'E_KERAS_LOWERING';
  constructor(
    readonly problems: readonly LoweringProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      `cannot convert the Keras model to TFLite (${problems.length} layer${problems.length === 1 ? '' : 's'}):\n  ` +
        problems.map((p) => `layer '${p.layer}' (${p.className}): ${p.problem}`).join('\n  '),
      options,
    );
  }
}

/** Options that cannot work together or with this model (e.g. int8 without representative data). */
export class ConversionOptionsError extends TorchportError {
  readonly code = 'E_TFLITE_CONVERT_OPTIONS';
}

/** Thrown inside a lowering function to reject its layer; collected into a KerasLoweringError. */
export class LayerNotLowerable extends Error {}
