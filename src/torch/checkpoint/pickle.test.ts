import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unpickle, type UnpickleOptions } from './pickle.ts';
import { PyDict, PyGlobal, PySet, PyTuple, StorageRef, type PyValue } from './python-values.ts';
import { selectWeights } from './select.ts';
import { FIXTURES } from './test-support.ts';
import { torchGlobalResolver } from './torch-globals.ts';

const options: UnpickleOptions = {
  where: 'test.pkl',
  resolveGlobal: torchGlobalResolver('test.pkl'),
  persistentLoad: () => {
    throw new Error('no persistent ids in these tests');
  },
};

/** The tagged JSON form scripts/make_checkpoint_fixtures.py writes for Python values. */
function tagged(value: PyValue): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { $float: 'nan' };
    if (value === Infinity) return { $float: 'inf' };
    if (value === -Infinity) return { $float: '-inf' };
    if (Object.is(value, -0)) return { $float: '-0.0' };
    return value;
  }
  if (typeof value === 'bigint') return { $int: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(tagged);
  if (value instanceof PyTuple) return { $tuple: value.items.map(tagged) };
  if (value instanceof PySet) return { [value.frozen ? '$frozenset' : '$set']: value.items.map(tagged) };
  if (value instanceof PyDict) return Object.fromEntries([...value].map(([k, v]) => [String(k), tagged(v)]));
  throw new Error(`unexpected ${String(value)}`);
}

const reference = JSON.parse(readFileSync(`${FIXTURES}pickles.json`, 'utf8')) as { value: unknown; pickles: Record<string, string> };

/** Bytes from a mix of strings (Latin-1) and byte arrays. */
function pkl(...parts: Array<string | number[]>): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

describe('pickles written by Python', () => {
  it.each(Object.entries(reference.pickles))('protocol %s gives the value Python pickled', (_protocol, hex) => {
    const value = unpickle(Uint8Array.from(Buffer.from(hex, 'hex')), options);
    expect(tagged(value)).toEqual(reference.value);
  });

  it('keeps shared references shared (memo)', () => {
    const value = unpickle(Uint8Array.from(Buffer.from(reference.pickles['2']!, 'hex')), options) as PyDict;
    const shared = value.get('shared') as PyValue[];
    expect(shared[0]).toBe(shared[1]);
    expect(value.get('late_shared')).toBe((value.get('memo_heavy') as PyValue[])[280]);
  });
});

describe('refused globals', () => {
  // Each is a pickle that would run a command under pickle.load.
  const attacks: Array<[string, Uint8Array, string]> = [
    ['GLOBAL os.system', pkl('\x80\x02cos\nsystem\nX\x02\x00\x00\x00idR.'), 'os.system'],
    ['GLOBAL posix.system via REDUCE', pkl("cposix\nsystem\n(S'id'\ntR."), 'posix.system'],
    ['STACK_GLOBAL builtins.eval', pkl('\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x021+\x85R.'), 'builtins.eval'],
    ['INST subprocess.Popen', pkl("(S'id'\nisubprocess\nPopen\n."), 'subprocess.Popen'],
    ['NEWOBJ of an unknown class', pkl('\x80\x02cevil\nThing\n)\x81.'), 'evil.Thing'],
    ['builtins.getattr chain', pkl('\x80\x02cbuiltins\ngetattr\n.'), 'builtins.getattr'],
    ['a torch global that is not allow-listed', pkl('\x80\x02ctorch\nload\n.'), 'torch.load'],
  ];
  it.each(attacks)('%s', (_name, bytes, global) => {
    expect(() => unpickle(bytes, options)).toThrow(expect.objectContaining({ code: 'E_PICKLE_GLOBAL', global }));
  });

  it('refuses copyreg extension codes', () => {
    expect(() => unpickle(pkl('\x80\x02\x82\x01.'), options)).toThrow(expect.objectContaining({ code: 'E_PICKLE_GLOBAL' }));
  });

  it('calls nothing the file names: a resolver that records calls sees only lookups', () => {
    const looked: string[] = [];
    const recording: UnpickleOptions = { ...options, resolveGlobal: (m, n) => (looked.push(`${m}.${n}`), undefined) };
    expect(() => unpickle(pkl('\x80\x02cos\nsystem\nX\x02\x00\x00\x00idR.'), recording)).toThrow();
    expect(looked).toEqual(['os.system']);
  });

  it('applies only allow-listed globals that have a meaning, never a value from the stack', () => {
    expect(() => unpickle(pkl('\x80\x02ctorch\nfloat32\n)R.'), options)).toThrow(/torch\.float32, which cannot be called/);
    expect(() => unpickle(pkl('\x80\x02X\x02\x00\x00\x00id)R.'), options)).toThrow(/applies a str/);
    expect(() => unpickle(pkl('\x80\x02X\x02\x00\x00\x00id)R.'), options)).toThrow(expect.objectContaining({ code: 'E_PICKLE_FORMAT' }));
  });
});

describe('malformed pickles', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty input', pkl(''), /truncated/],
    ['no STOP', pkl('\x80\x02K\x01'), /truncated/],
    ['string longer than the pickle', pkl('\x80\x02X\xff\xff\xff\x7fabc'), /truncated/],
    ['BINUNICODE8 claiming exabytes', pkl('\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff.'), /truncated/],
    ['FRAME longer than the pickle', pkl('\x80\x04\x95\x00\x00\x00\x00\x01\x00\x00\x00N.'), /FRAME/],
    ['unknown opcode', pkl('\x80\x02\xff.'), /unknown opcode 0xff/],
    ['protocol 6', pkl('\x80\x06N.'), /protocol 6/],
    ['pop from an empty stack', pkl('\x80\x020.'), /MARK that was never opened/],
    ['TUPLE without MARK', pkl('\x80\x02t.'), /never opened/],
    ['memo miss', pkl('\x80\x02h\x05.'), /memo index 5/],
    ['APPEND to a tuple', pkl('\x80\x02)K\x01a.'), /appends to a tuple/],
    ['SETITEM on a list', pkl('\x80\x02]K\x01K\x02s.'), /sets items on a list/],
    ['BUILD on a plain dict', pkl('\x80\x02}}b.'), /BUILD sets state on a dict/],
    ['REDUCE with non-tuple args', pkl('\x80\x02ccollections\nOrderedDict\n]R.'), /argument tuple/],
    ['invalid UTF-8', pkl('\x80\x02X\x01\x00\x00\x00\xff.'), /UTF-8/],
    ['negative LONG4 length', pkl('\x80\x02\x8b\xff\xff\xff\xff.'), /negative length/],
    ['out-of-band buffer', pkl('\x80\x05\x97.'), /out-of-band/],
  ];
  it.each(cases)('%s', (_name, bytes, message) => {
    expect(() => unpickle(bytes, options)).toThrow(message);
    expect(() => unpickle(bytes, options)).toThrow(expect.objectContaining({ code: 'E_PICKLE_FORMAT' }));
  });
});

describe('pickle bombs', () => {
  it('bounds MARK nesting', () => {
    const bytes = pkl('\x80\x02', '('.repeat(100_000), 'N.');
    expect(() => unpickle(bytes, options)).toThrow(expect.objectContaining({ code: 'E_PICKLE_LIMIT' }));
  });

  it('bounds the number of containers', () => {
    const bytes = pkl('\x80\x02', ']0'.repeat(2000), 'N.');
    expect(() => unpickle(bytes, { ...options, limits: { maxContainers: 1000 } })).toThrow(/more than 1000 containers/);
    expect(unpickle(bytes, options)).toBeNull();
  });

  it('bounds the memo', () => {
    const puts: number[] = [];
    for (let i = 0; i < 300; i++) puts.push(0x72, i & 0xff, i >> 8, 0, 0); // LONG_BINPUT i
    expect(() => unpickle(pkl('\x80\x02N', puts, '.'), { ...options, limits: { maxMemoEntries: 256 } })).toThrow(/memo entries/);
  });

  it('bounds integer size like CPython (4300 digits)', () => {
    expect(() => unpickle(pkl('\x80\x02L', '9'.repeat(5000), 'L\n.'), options)).toThrow(expect.objectContaining({ code: 'E_PICKLE_LIMIT' }));
    expect(() => unpickle(pkl('\x80\x02\x8b', [0, 0x10, 0, 0], new Array<number>(4096).fill(1), '.'), options)).toThrow(/digit limit/);
  });

  // A scalar float32 tensor entry 'x' (a storage from persistentLoad, rebuilt by
  // _rebuild_tensor_v2), so the walk gets past weight selection to the metadata next to it.
  const withTensor: UnpickleOptions = { ...options, persistentLoad: () => new StorageRef('0', 'float32', 1, 'cpu') };
  const tensorEntry = 'X\x01\x00\x00\x00xctorch._utils\n_rebuild_tensor_v2\n(NQK\x00))\x89}tRs';

  it('bounds deep nesting when the data is walked', () => {
    // {'x': tensor, 'deep': [[[[...]]]]} nested 10,000 deep: built without recursion, refused when walked.
    const depth = 10_000;
    const bytes = pkl('\x80\x02}', tensorEntry, 'X\x04\x00\x00\x00deep', ']'.repeat(depth), 'a'.repeat(depth - 1), 's.');
    const root = unpickle(bytes, withTensor);
    expect(() => selectWeights(root, { where: 'test.pkl' })).toThrow(expect.objectContaining({ code: 'E_PICKLE_LIMIT' }));
    // Nested dicts are where weights may live: the same bound applies while looking for them.
    const dicts = pkl('\x80\x02}X\x01\x00\x00\x00w', '}X\x01\x00\x00\x00a'.repeat(depth), '}', 's'.repeat(depth + 1), '.');
    expect(() => selectWeights(unpickle(dicts, options), { where: 'test.pkl' })).toThrow(/nested more than 100 levels/);
  });

  it('bounds walking shared references that unfold exponentially (billion laughs)', () => {
    // t0 = []; t(i+1) = (ti, ti) ... 64 levels: 65 objects, 2^64 paths.
    const parts: Array<string | number[]> = ['\x80\x02}', tensorEntry, 'X\x04\x00\x00\x00lols]q\x000'];
    for (let i = 0; i < 64; i++) parts.push([0x68, i, 0x68, i, 0x86, 0x71, i + 1, 0x30]); // BINGET i, BINGET i, TUPLE2, BINPUT i+1, POP
    parts.push([0x68, 64], 's.');
    const root = unpickle(pkl(...parts), withTensor);
    expect(() => selectWeights(root, { where: 'test.pkl', limits: { maxVisits: 100_000 } })).toThrow(/more than 100000 steps/);
  });

  it('renders a self-referencing list in metadata instead of recursing forever', () => {
    // {'w': <tensor-free>, 'loop': l} where l contains itself: l = []; l.append(l)
    const root = unpickle(pkl('\x80\x02}X\x04\x00\x00\x00loop]q\x00h\x00as.'), options);
    expect(() => selectWeights(root, { where: 'test.pkl' })).toThrow(/holds no tensors/);
  });
});

describe('allow-listed globals', () => {
  it('builds an OrderedDict with its _metadata attribute (how state_dict() pickles)', () => {
    const bytes = pkl('\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00aK\x01u}X\x09\x00\x00\x00_metadata}sb.');
    const value = unpickle(bytes, options) as PyDict;
    expect(value.pythonType).toBe('collections.OrderedDict');
    expect([...value]).toEqual([['a', 1]]);
    expect(value.attributes.get('_metadata')).toBeInstanceOf(PyDict);
  });

  it('reads torch.Size, torch.device and torch dtypes', () => {
    expect((unpickle(pkl('\x80\x02ctorch\nSize\n]K\x02aK\x03a\x85R.'), options) as PyTuple).items).toEqual([2, 3]);
    expect(unpickle(pkl('\x80\x02ctorch\ndevice\nX\x04\x00\x00\x00cudaK\x01\x86R.'), options)).toBe('cuda:1');
    expect(unpickle(pkl('\x80\x02ctorch\nbfloat16\n.'), options)).toEqual(new PyGlobal('torch', 'bfloat16'));
  });
});
