// Fuzzing real torch-written checkpoints: whatever happens to the bytes, the reader either gives
// back exactly what torch wrote or throws a TorchportError with a code; never another exception,
// never a hang, never a silently different tensor while checksums are on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTorchportError } from '../../errors.ts';
import { readCheckpoint, type Checkpoint } from './read.ts';
import { describeTensors, fixtureBytes } from './test-support.ts';
import { bufferSource } from './byte-source.ts';
import { openZip } from './zip.ts';

const FILES = ['dtypes.pt', 'views.pt', 'shape_training.pt', 'big_endian.pt', 'dtypes_protocol4.pt'];
const RUNS = 300;

function summary(checkpoint: Checkpoint): unknown {
  return { tensors: describeTensors(checkpoint.tensors), selectedKey: checkpoint.selectedKey, metadata: checkpoint.metadata };
}

/** Runs `read` and returns its summary, or the error's code; anything else thrown fails the test. */
function outcome(read: () => Checkpoint): unknown {
  try {
    return summary(read());
  } catch (error) {
    if (!isTorchportError(error)) throw error;
    return { code: error.code };
  }
}

describe.each(FILES)('%s under random damage', (file) => {
  const original = fixtureBytes(file);
  const expected = summary(readCheckpoint(original));

  it('truncated anywhere: a typed error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: original.length - 1 }), (length) => {
        const result = outcome(() => readCheckpoint(original.slice(0, length)));
        expect(result).toHaveProperty('code');
      }),
      { numRuns: RUNS },
    );
  });

  const flips = fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });
  const damage = (changes: Array<[number, number]>): Uint8Array => {
    const bytes = original.slice();
    for (const [at, mask] of changes) bytes[at]! ^= mask;
    return bytes;
  };

  it('bytes flipped: the original tensors or a typed error', () => {
    fc.assert(
      fc.property(flips, (changes) => {
        const result = outcome(() => readCheckpoint(damage(changes)));
        if (!(result as { code?: string }).code) expect(result).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('data.pkl bytes flipped, CRC checks off: the unpickler gives a typed error or a result, nothing else', () => {
    const zip = openZip(bufferSource(original), file);
    const pkl = zip.read([...zip.entries.values()].find((e) => e.name.endsWith('/data.pkl'))!);
    const start = pkl.byteOffset - original.byteOffset;
    const inPickle = fc.array(fc.tuple(fc.integer({ min: start, max: start + pkl.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(inPickle, (changes) => {
        outcome(() => readCheckpoint(damage(changes), { verifyChecksums: false }));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('bytes flipped with CRC checks off (damaged pickles reach the unpickler): never an untyped error', () => {
    fc.assert(
      fc.property(flips, (changes) => {
        outcome(() => readCheckpoint(damage(changes), { verifyChecksums: false }));
      }),
      { numRuns: RUNS },
    );
  });
});
