import type { Tensor } from '../../tensor/index.ts';
import { createTfliteRunner } from './runner.ts';

/**
 * Runs a TFLite model on each sample in turn (one compiled model for all of them) and yields its
 * outputs. ±Infinity / NaN outputs are handed back, not refused: int8 calibration injects this
 * (src/convert/) and may expose intermediate tensors that legitimately hold -inf.
 */
export async function* executeTflite(bytes: Uint8Array, samples: readonly (readonly Tensor[])[]): AsyncGenerator<readonly Tensor[]> {
  const runner = await createTfliteRunner(bytes, { name: 'calibration model (fp32, every tensor exposed)', allowNonFinite: true });
  try {
    for (const sample of samples) yield await runner.run(sample);
  } finally {
    await runner.dispose();
  }
}
