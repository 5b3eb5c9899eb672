import { describe, expect, it } from 'vitest';
import { readCheckpoint, readCheckpointFile } from './read.ts';
import { EXPECTED, FIXTURES, describeTensors, fixtureBytes } from './test-support.ts';
import { float16BitsToNumber } from '../../tensor/index.ts';

const checkpoints = Object.entries(EXPECTED).filter(([name]) => name.endsWith('.pt'));
const readable = checkpoints.filter(([, e]) => e.error === undefined);
const failing = checkpoints.filter(([, e]) => e.error !== undefined);

describe('checkpoints written by torch.save', () => {
  it.each(readable)('%s: every tensor equals what torch wrote, bit for bit', (name, expected) => {
    if (expected.error !== undefined) throw new Error('unreachable');
    const checkpoint = readCheckpointFile(`${FIXTURES}${name}`);
    expect(describeTensors(checkpoint.tensors)).toEqual(expected.tensors);
    expect(checkpoint.selectedKey).toBe(expected.selectedKey);
    expect(checkpoint.metadata).toEqual(expected.metadata);
  });

  it.each(failing)('%s: refused with the expected error code', (name, expected) => {
    if (expected.error === undefined) throw new Error('unreachable');
    const read = () => readCheckpointFile(`${FIXTURES}${name}`);
    expect(read).toThrow(expect.objectContaining({ code: expected.error }));
    if (expected.mentions) expect(read).toThrow(expected.mentions);
  });

  it('reads the same from memory as from the file', () => {
    const fromFile = readCheckpointFile(`${FIXTURES}views.pt`);
    const fromBytes = readCheckpoint(fixtureBytes('views.pt'), { where: 'views.pt' });
    expect(describeTensors(fromBytes.tensors)).toEqual(describeTensors(fromFile.tensors));
  });

  it('reads a checkpoint that starts at an odd offset of a larger buffer', () => {
    const bytes = fixtureBytes('views.pt');
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(describeTensors(readCheckpoint(padded.subarray(3)).tensors)).toEqual(describeTensors(readCheckpoint(bytes).tensors));
  });

  it('names a missing file with E_INPUT_FILE', () => {
    expect(() => readCheckpointFile(`${FIXTURES}no-such-file.pt`)).toThrow(expect.objectContaining({ code: 'E_INPUT_FILE' }));
  });

  it('reports the archive name, format version and byte order', () => {
    const little = readCheckpoint(fixtureBytes('dtypes.pt'));
    expect(little).toMatchObject({ archiveName: 'dtypes', formatVersion: '3', byteOrder: 'little' });
    const big = readCheckpoint(fixtureBytes('big_endian.pt'));
    expect(big.byteOrder).toBe('big');
    expect(describeTensors(big.tensors)).toEqual(describeTensors(little.tensors));
  });

  it('keeps float16 special values exact', () => {
    const f16 = readCheckpoint(fixtureBytes('dtypes.pt')).tensors.get('f16')!;
    const values = [...(f16.data as Uint16Array)].map(float16BitsToNumber);
    expect(values[0]).toBeNaN();
    expect(values.slice(1, 3)).toEqual([Infinity, -Infinity]);
    expect(Object.is(values[3], -0)).toBe(true);
    expect(values.slice(-2)).toEqual([float16BitsToNumber(1), 65504]); // 6e-8 rounds to the smallest subnormal
  });

  it('reads int64 extremes as exact BigInts', () => {
    const i64 = readCheckpoint(fixtureBytes('dtypes.pt')).tensors.get('i64')!;
    expect([...(i64.data as BigInt64Array)]).toEqual([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 123456789012345n, -42n]);
  });
});

describe('choosing the weights', () => {
  it('names the candidates when several entries hold tensors, and takes the one --key names', () => {
    const bytes = fixtureBytes('shape_ambiguous.pt');
    expect(() => readCheckpoint(bytes)).toThrow(/"student" \(9 tensors\), "teacher" \(9 tensors\)/);
    const expected = EXPECTED['shape_ambiguous.pt']!;
    if (expected.error === undefined || !expected.withKey) throw new Error('fixture lacks withKey');
    const checkpoint = readCheckpoint(bytes, { key: 'teacher' });
    expect(checkpoint.selectedKey).toBe('teacher');
    expect(describeTensors(checkpoint.tensors)).toEqual(expected.withKey.tensors);
    expect(checkpoint.metadata).toEqual(expected.withKey.metadata);
  });

  it('follows a key path through nested dicts', () => {
    const checkpoint = readCheckpoint(fixtureBytes('shape_nested.pt'), { key: 'model/state_dict' });
    const expected = EXPECTED['shape_nested.pt']!;
    if (expected.error !== undefined) throw new Error('unreachable');
    expect(describeTensors(checkpoint.tensors)).toEqual(expected.tensors);
  });

  it('takes every tensor of the root, flattened, with key "."', () => {
    const checkpoint = readCheckpoint(fixtureBytes('shape_ambiguous.pt'), { key: '.' });
    expect(checkpoint.tensors.size).toBe(18);
    expect([...checkpoint.tensors.keys()]).toContain('teacher.fc.bias');
  });

  it('refuses a key that is missing or holds no tensors, listing what exists', () => {
    const bytes = fixtureBytes('shape_state_dict.pt');
    expect(() => readCheckpoint(bytes, { key: 'model' })).toThrow(/no key "model".*available: state_dict, epoch, arch/);
    expect(() => readCheckpoint(bytes, { key: 'epoch' })).toThrow(expect.objectContaining({ code: 'E_CHECKPOINT_KEY' }));
  });
});

describe('limits', () => {
  it('refuses a tensor over maxTensorBytes, and reads it under a raised limit', () => {
    const bytes = fixtureBytes('views.pt');
    expect(() => readCheckpoint(bytes, { limits: { maxTensorBytes: 200 } })).toThrow(expect.objectContaining({ code: 'E_CHECKPOINT_LIMIT' }));
    expect(() => readCheckpoint(bytes, { limits: { maxTensorBytes: 240 } })).not.toThrow();
  });

  it('refuses a data.pkl over maxPickleBytes before reading it', () => {
    expect(() => readCheckpoint(fixtureBytes('dtypes.pt'), { limits: { maxPickleBytes: 100 } })).toThrow(/data\.pkl is \d+ bytes, over the 100-byte limit/);
  });
});
