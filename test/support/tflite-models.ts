// Small TFLite files the runner tests share.
import { TfliteGraphBuilder, writeTflite } from '../../src/tflite/index.ts';

/**
 * RESHAPE [1, 4] -> [1, 5]: a valid flatbuffer no interpreter can prepare (4 elements cannot take
 * 5 places). LiteRT.js compiles it and only logs "failed to prepare"; the native interpreter raises.
 */
export function unpreparableReshape(): Uint8Array {
  const g = new TfliteGraphBuilder();
  const x = g.input('x', 'float32', [1, 4]);
  const shape = g.int32Constant('shape', [1, 5]);
  const y = g.activation('y', 'float32', [1, 5]);
  g.op('RESHAPE', [x, shape], [y]);
  g.output(y);
  return writeTflite(g.build());
}
