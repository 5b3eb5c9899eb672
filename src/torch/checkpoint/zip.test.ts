import { describe, expect, it } from 'vitest';
import { bufferSource } from './byte-source.ts';
import { crc32 } from './crc32.ts';
import { readCheckpoint } from './read.ts';
import { fixtureBytes } from './test-support.ts';
import { openZip } from './zip.ts';

interface RawEntry {
  name: string;
  data: Uint8Array;
  method?: number;
  flags?: number;
  crc?: number;
  /** Size written in the directory instead of the real one. */
  declaredSize?: number;
  /** Name written in the local header instead of `name`. */
  localName?: string;
  /** Local header offset written in the directory instead of the real one. */
  offsetOverride?: number;
}

/** A hand-built zip: every field spelled out, so tests can lie in any of them. */
function makeZip(entries: RawEntry[], options: { zip64?: boolean; comment?: string } = {}): Uint8Array {
  const enc = new TextEncoder();
  const out: number[] = [];
  const u16 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u64 = (v: number) => {
    u32(v % 2 ** 32);
    u32(Math.floor(v / 2 ** 32));
  };
  const bytes = (b: Uint8Array) => out.push(...b);
  const offsets: number[] = [];
  for (const e of entries) {
    offsets.push(out.length);
    const name = enc.encode(e.localName ?? e.name);
    (u32(0x04034b50), u16(20), u16(e.flags ?? 0), u16(e.method ?? 0), u16(0), u16(0));
    (u32(e.crc ?? crc32(e.data)), u32(e.data.length), u32(e.data.length), u16(name.length), u16(0));
    (bytes(name), bytes(e.data));
  }
  const cdOffset = out.length;
  entries.forEach((e, i) => {
    const name = enc.encode(e.name);
    const size = e.declaredSize ?? e.data.length;
    const offset = e.offsetOverride ?? offsets[i]!;
    (u32(0x02014b50), u16(20), u16(20), u16(e.flags ?? 0), u16(e.method ?? 0), u16(0), u16(0), u32(e.crc ?? crc32(e.data)));
    if (options.zip64) {
      (u32(0xffffffff), u32(0xffffffff), u16(name.length), u16(28), u16(0), u16(0), u16(0), u32(0), u32(0xffffffff));
      (bytes(name), u16(0x0001), u16(24), u64(size), u64(size), u64(offset));
    } else {
      (u32(size), u32(size), u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset));
      bytes(name);
    }
  });
  const cdSize = out.length - cdOffset;
  if (options.zip64) {
    const recordAt = out.length;
    (u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(entries.length), u64(entries.length), u64(cdSize), u64(cdOffset));
    (u32(0x07064b50), u32(0), u64(recordAt), u32(1));
  }
  const comment = enc.encode(options.comment ?? '');
  (u32(0x06054b50), u16(0), u16(0));
  if (options.zip64) (u16(0xffff), u16(0xffff), u32(0xffffffff), u32(0xffffffff));
  else (u16(entries.length), u16(entries.length), u32(cdSize), u32(cdOffset));
  (u16(comment.length), bytes(comment));
  return Uint8Array.from(out);
}

const text = (s: string) => new TextEncoder().encode(s);
const open = (bytes: Uint8Array) => openZip(bufferSource(bytes), 'test.zip');
const zipError = expect.objectContaining({ code: 'E_ZIP_FORMAT' });

describe('reading zip archives', () => {
  it('lists and reads the entries of an archive torch wrote', () => {
    const zip = open(fixtureBytes('shape_bare.pt'));
    const names = [...zip.entries.keys()];
    expect(names[0]).toBe('shape_bare/data.pkl');
    expect(names).toContain('shape_bare/data/8');
    expect(new TextDecoder().decode(zip.read(zip.entries.get('shape_bare/version')!))).toBe('3\n');
  });

  it('reads zip64 records and a trailing comment', () => {
    const zip = open(
      makeZip(
        [
          { name: 'a/x', data: text('hello') },
          { name: 'a/y', data: text('') },
        ],
        { zip64: true, comment: 'made by hand' },
      ),
    );
    expect(new TextDecoder().decode(zip.read(zip.entries.get('a/x')!))).toBe('hello');
    expect(zip.read(zip.entries.get('a/y')!).length).toBe(0);
  });

  it('refuses bytes that are not a zip, or whose end record is gone', () => {
    expect(() => open(text('not a zip at all, just some text that goes on'))).toThrow(zipError);
    const good = makeZip([{ name: 'a/x', data: text('hello') }]);
    expect(() => open(good.subarray(0, good.length - 5))).toThrow(/no end-of-central-directory record/);
    expect(() => open(new Uint8Array(3))).toThrow(/too short/);
  });

  it('refuses a directory that points outside the file', () => {
    const good = makeZip([{ name: 'a/x', data: text('hello') }]);
    const bad = good.slice();
    new DataView(bad.buffer).setUint32(bad.length - 6, 1_000_000, true); // central directory offset
    expect(() => open(bad)).toThrow(/lies outside/);
  });

  it('refuses an entry claiming terabytes before allocating anything', () => {
    const zip = makeZip([{ name: 'a/x', data: text('hello'), declaredSize: 2 ** 42 }], { zip64: true });
    expect(() => open(zip)).toThrow(/claims 4398046511104 bytes/);
    const absurd = makeZip([{ name: 'a/x', data: text('hello'), declaredSize: 2 ** 60 }], { zip64: true });
    expect(() => open(absurd)).toThrow(/beyond any real file/);
  });

  it('refuses overlapping and duplicate entries', () => {
    expect(() =>
      open(
        makeZip([
          { name: 'a/x', data: text('hello') },
          { name: 'a/y', data: text('hello'), offsetOverride: 0 },
        ]),
      ),
    ).toThrow(/overlap/);
    expect(() =>
      open(
        makeZip([
          { name: 'a/x', data: text('1') },
          { name: 'a/x', data: text('2') },
        ]),
      ),
    ).toThrow(/appears twice/);
  });

  it('refuses encrypted entries, and compressed ones when they are read', () => {
    expect(() => open(makeZip([{ name: 'a/x', data: text('hi'), flags: 1 }]))).toThrow(/encrypted/);
    const zip = open(makeZip([{ name: 'a/x', data: text('hi'), method: 8 }]));
    expect(zip.entries.has('a/x')).toBe(true); // listed: names alone identify a TorchScript archive
    expect(() => zip.read(zip.entries.get('a/x')!)).toThrow(/compressed \(method 8\)/);
  });

  it('detects corrupted bytes through the CRC, unless asked not to check', () => {
    const zip = open(makeZip([{ name: 'a/x', data: text('hello'), crc: 1234 }]));
    const entry = zip.entries.get('a/x')!;
    expect(() => zip.read(entry)).toThrow(expect.objectContaining({ code: 'E_ZIP_CRC' }));
    expect(new TextDecoder().decode(zip.read(entry, { verify: false }))).toBe('hello');
  });

  it('refuses an end record whose entry count was lowered (found by fuzzing: it silently dropped byteorder)', () => {
    // big_endian.pt: flipping one bit of the total-entries field made the last entry vanish, and
    // the big-endian storages were then read as little-endian without any error.
    const bytes = fixtureBytes('big_endian.pt').slice();
    const eocd = bytes.length - 22;
    bytes[eocd + 10]! ^= 1;
    expect(() => readCheckpoint(bytes)).toThrow(expect.objectContaining({ code: 'E_ZIP_FORMAT' }));
    bytes[eocd + 8]! ^= 1; // both counts lowered alike: the directory's extra bytes still give it away
    expect(() => readCheckpoint(bytes)).toThrow(/beyond its 12 declared entries/);
  });

  it('refuses a local header that names another entry', () => {
    const zip = open(makeZip([{ name: 'a/x', data: text('hello'), localName: 'a/z' }]));
    expect(() => zip.read(zip.entries.get('a/x')!)).toThrow(/local header for another name/);
  });
});

describe('zip archives that are not checkpoints', () => {
  const pickleOf = (body: string) => Uint8Array.from([...'\x80\x02', ...body, '.'].map((c) => c.charCodeAt(0)));

  it('names what is missing', () => {
    expect(() => readCheckpoint(makeZip([{ name: 'stuff/readme.txt', data: text('hi') }]))).toThrow(/without <archive>\/data\.pkl/);
    expect(() =>
      readCheckpoint(
        makeZip([
          { name: 'a/data.pkl', data: pickleOf('N') },
          { name: 'b/data.pkl', data: pickleOf('N') },
        ]),
      ),
    ).toThrow(/several data\.pkl/);
  });

  it('refuses persistent ids that are not torch storages', () => {
    const pid = (items: string) =>
      readCheckpoint(
        makeZip([
          { name: 'a/data.pkl', data: pickleOf(`(${items}tQ`) },
          { name: 'a/data/0', data: new Uint8Array(4) },
        ]),
      );
    expect(() => pid('X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01')).toThrow(/holds a storage, not a dict/);
    expect(() => pid('X\x06\x00\x00\x00modulectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01')).toThrow(/unknown persistent id kind/);
    expect(() => pid('X\x07\x00\x00\x00storagectorch\nFooStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01')).toThrow(
      expect.objectContaining({ code: 'E_PICKLE_GLOBAL', global: 'torch.FooStorage' }),
    );
    expect(() => pid('X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x06\x00\x00\x00../../X\x03\x00\x00\x00cpuK\x01')).toThrow(/not a record name/);
    expect(() => pid('X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x009X\x03\x00\x00\x00cpuK\x01')).toThrow(expect.objectContaining({ code: 'E_CHECKPOINT_STORAGE' }));
    // Found by fuzzing: a kind that is a big integer once broke the message itself.
    expect(() => pid('\x8a\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01')).toThrow(/unknown persistent id kind 18519084246547628289/);
  });

  it('refuses a view that reaches past its storage', () => {
    // {'w': _rebuild_tensor_v2(storage of 1 float, offset 0, size (4,), stride (1,), False, {})}
    const pkl = pickleOf(
      '}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQK\x00K\x04\x85K\x01\x85\x89}tRs',
    );
    expect(() =>
      readCheckpoint(
        makeZip([
          { name: 'a/data.pkl', data: pkl },
          { name: 'a/data/0', data: new Uint8Array(4) },
        ]),
      ),
    ).toThrow(/reaches element 3 of storage a\/data\/0, which holds 1/);
  });

  it('refuses entries a torch.save archive never has (found by fuzzing: a damaged "byteorder" name)', () => {
    const entries = [{ name: 'a/data.pkl', data: pickleOf('}') }];
    expect(() => readCheckpoint(makeZip([...entries, { name: 'a/bxteorder', data: text('big') }]))).toThrow(/unexpected entry "a\/bxteorder"/);
    expect(() => readCheckpoint(makeZip([...entries, { name: 'b/version', data: text('3') }]))).toThrow(/unexpected entry "b\/version"/);
    expect(readCheckpoint(makeZip([...entries, { name: 'a/.format_version', data: text('1') }, { name: 'a/.data/serialization_id', data: text('x') }])).tensors.size).toBe(0);
  });

  it('refuses a byteorder record that is neither little nor big', () => {
    const zip = makeZip([
      { name: 'a/data.pkl', data: pickleOf('}') },
      { name: 'a/byteorder', data: text('middle') },
    ]);
    expect(() => readCheckpoint(zip)).toThrow(/expected "little" or "big"/);
  });
});
