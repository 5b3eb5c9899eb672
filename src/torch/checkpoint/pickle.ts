// A restricted interpreter for Python's pickle format (protocols 0-5, as CPython's Lib/pickle.py
// defines the opcodes). It builds plain data only. A GLOBAL is looked up in the caller's
// allow-list and refused when absent; REDUCE/NEWOBJ/INST/OBJ may only apply an allow-listed
// global, whose meaning is torchport's own TypeScript; BUILD only sets state on the few types
// that take it. Nothing the file names is ever imported, called or evaluated.
//
// Packages evaluated first (their sources, as published on GitHub), against that guarantee:
// `pickleparser` (ewfian/pickleparser) does not give it. Unknown globals are not refused but
// turned into placeholder constructors that REDUCE/NEWOBJ then invoke with `new`; BUILD calls a `__setstate__` found on
// whatever object is on the stack and `Object.assign`s pickled state into it; dicts are plain
// objects filled by `dict[key] = value`, so a "__proto__" key rewrites prototypes. It also has no
// limits (memo, nesting, integer size), spreads whole mark frames into `push(...items)` (a
// RangeError on large frames) and stops at protocol 4.
// `jpickle` (jlaine/node-jpickle) does refuse unknown globals, but reads protocol 2 only, has no
// BINPERSID (torch's storages), pushes 0 for every LONG1/LONG4 and fills dicts as plain objects.
// `unpickle` (IlyaSemenov/node-unpickle) turns an unknown STACK_GLOBAL into null and lets REDUCE
// pass its arguments through, has no GLOBAL or BINPERSID, and Object.assigns dict items.
// None gives "refused by name, nothing called" with torch's opcodes, hence this module.
import { PickleFormatError, PickleGlobalError, PickleLimitError } from './errors.ts';
import { PyDict, PyGlobal, PySet, PyTuple, TensorRef, pythonTypeName, type PyValue } from './python-values.ts';

export interface PickleLimits {
  /** Nested MARK frames open at once. */
  maxMarkDepth: number;
  /** Entries in the memo. */
  maxMemoEntries: number;
  /** Lists, tuples, dicts and sets created: bounds memory whatever the opcodes do. */
  maxContainers: number;
  /** Decimal digits of an integer (a binary one counts 2.41 per byte); CPython's own limit is 4300. */
  maxIntDigits: number;
}

const DEFAULT_PICKLE_LIMITS: Readonly<PickleLimits> = {
  maxMarkDepth: 1000,
  maxMemoEntries: 5_000_000,
  maxContainers: 5_000_000,
  maxIntDigits: 4300,
};

export interface UnpickleOptions {
  /** Names the pickle in messages, e.g. "model.pth: archive/data.pkl". */
  where: string;
  /** The allow-list: the global to use for module.name, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): PyGlobal | undefined;
  /** Resolves a persistent id (torch uses these for storages); throw to refuse one. */
  persistentLoad(pid: PyValue): PyValue;
  limits?: Partial<PickleLimits>;
}

const MAX_PROTOCOL = 5;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  const limits = { ...DEFAULT_PICKLE_LIMITS, ...options.limits };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let opAt = 0;
  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  let containers = 0;

  const fail = (problem: string): never => {
    throw new PickleFormatError(`${options.where}: ${problem} (opcode at byte ${opAt})`);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail(`needs ${n} more bytes but the pickle ends at byte ${bytes.length} (truncated?)`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const i32 = (): number => {
    need(4);
    pos += 4;
    return view.getInt32(pos - 4, true);
  };
  const u32 = (): number => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const u64 = (): number => {
    need(8);
    const value = view.getBigUint64(pos, true);
    pos += 8;
    // Any length beyond the pickle is caught by `need` next; this only keeps it a safe number.
    return value > BigInt(bytes.length) ? bytes.length + 1 : Number(value);
  };
  const take = (n: number): Uint8Array => {
    if (n < 0) fail(`negative length ${n}`);
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = (): Uint8Array => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text argument has no terminating newline (truncated?)');
    const out = bytes.subarray(pos, end);
    pos = end + 1;
    return out;
  };
  const text = (raw: Uint8Array): string => {
    try {
      return utf8.decode(raw);
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const ascii = (raw: Uint8Array): string => {
    let out = '';
    for (const byte of raw) out += String.fromCharCode(byte);
    return out;
  };

  const push = (value: PyValue): void => {
    stack.push(value);
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('pops from an empty stack');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('reads the top of an empty stack');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const outer = metastack.pop();
    if (!outer) return fail('closes a MARK that was never opened');
    stack = outer;
    return items;
  };
  const container = <T>(value: T): T => {
    if (++containers > limits.maxContainers) {
      throw new PickleLimitError(`${options.where}: more than ${limits.maxContainers} containers (pickle bomb?); raise limits.maxContainers if the file is trusted`);
    }
    return value;
  };
  const memoPut = (index: number): void => {
    if (index < 0) fail(`negative memo index ${index}`);
    if (!memo.has(index) && memo.size >= limits.maxMemoEntries) {
      throw new PickleLimitError(`${options.where}: more than ${limits.maxMemoEntries} memo entries (pickle bomb?)`);
    }
    memo.set(index, top());
  };
  const memoGet = (index: number): void => {
    if (!memo.has(index)) fail(`memo index ${index} was never stored`);
    push(memo.get(index)!);
  };
  const integer = (digits: string): number | bigint => {
    if (!/^[+-]?\d+$/.test(digits)) fail(`"${digits.slice(0, 40)}" is not an integer`);
    if (digits.length > limits.maxIntDigits) throw new PickleLimitError(`${options.where}: an integer of ${digits.length} digits exceeds the ${limits.maxIntDigits}-digit limit`);
    return normalizeInt(BigInt(digits));
  };
  const binaryLong = (raw: Uint8Array): number | bigint => {
    if (raw.length * 2.41 > limits.maxIntDigits) throw new PickleLimitError(`${options.where}: a ${raw.length}-byte integer exceeds the ${limits.maxIntDigits}-digit limit`);
    return normalizeInt(decodeTwosComplement(raw));
  };
  const global = (module: string, name: string): PyGlobal => {
    const resolved = options.resolveGlobal(module, name);
    if (!resolved) {
      throw new PickleGlobalError(
        `${module}.${name}`,
        `${options.where}: refers to the Python global ${module}.${name}, which torchport refuses to load (opcode at byte ${opAt}). ` +
          'Only tensors, storages, containers and plain values are read; nothing in the file is ever executed. ' +
          'If the file comes from a source you trust, load it in Python and save just the weights: torch.save(model.state_dict(), path).',
      );
    }
    return resolved;
  };
  const apply = (callable: PyValue, args: readonly PyValue[], how: string): PyValue => {
    if (!(callable instanceof PyGlobal) || !callable.call) {
      return fail(`${how} applies ${callable instanceof PyGlobal ? callable.qualifiedName : `a ${pythonTypeName(callable)}`}, which cannot be called`);
    }
    return callable.call(args);
  };
  const tupleArgs = (value: PyValue, how: string): readonly PyValue[] => {
    if (!(value instanceof PyTuple)) return fail(`${how} expects an argument tuple, got ${pythonTypeName(value)}`);
    return value.items;
  };
  const setItems = (target: PyValue, items: readonly PyValue[]): void => {
    if (!(target instanceof PyDict)) return fail(`sets items on a ${pythonTypeName(target)}, not a dict`);
    if (items.length % 2 !== 0) fail('dict items come as an odd number of keys and values');
    for (let i = 0; i < items.length; i += 2) target.set(items[i]!, items[i + 1]!);
  };
  const appendItems = (target: PyValue, items: readonly PyValue[]): void => {
    if (!Array.isArray(target)) return fail(`appends to a ${pythonTypeName(target)}, not a list`);
    for (const item of items) target.push(item);
  };

  for (;;) {
    opAt = pos;
    const op = u8();
    switch (op) {
      case 0x80: {
        // PROTO
        const version = u8();
        if (version > MAX_PROTOCOL) fail(`pickle protocol ${version} is newer than the highest known (${MAX_PROTOCOL})`);
        break;
      }
      case 0x95: // FRAME: a length prefix for buffered reading; the contents follow inline.
        if (u64() > bytes.length - pos) fail('a FRAME claims more bytes than the pickle holds (truncated?)');
        break;
      case 0x2e: // STOP
        if (stack.length === 0) fail('STOP with an empty stack');
        return stack.pop()!;
      case 0x28: // MARK
        if (metastack.length >= limits.maxMarkDepth) throw new PickleLimitError(`${options.where}: more than ${limits.maxMarkDepth} nested MARKs (pickle bomb?)`);
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP (of an empty frame, CPython pops the mark)
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;

      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x49: {
        // INT: "01"/"00" are how protocol 0 spells True/False.
        const digits = ascii(line());
        push(digits === '01' ? true : digits === '00' ? false : integer(digits));
        break;
      }
      case 0x4c: // LONG (text, optional trailing L)
        push(integer(ascii(line()).replace(/L$/, '')));
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(binaryLong(take(u8())));
        break;
      case 0x8b: // LONG4
        push(binaryLong(take(i32())));
        break;
      case 0x46: // FLOAT (text)
        push(parsePythonFloat(ascii(line()), fail));
        break;
      case 0x47: // BINFLOAT: big-endian, unlike every other binary number in pickle
        need(8);
        pos += 8;
        push(view.getFloat64(pos - 8, false));
        break;

      case 0x53: // STRING: a quoted Python 2 str literal
        push(text(decodeQuotedString(line(), fail)));
        break;
      case 0x54: // BINSTRING (Python 2 str; torch.load decodes these as UTF-8)
        push(text(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        push(text(take(u8())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        push(decodeRawUnicodeEscape(line()));
        break;
      case 0x58: // BINUNICODE
        push(text(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(text(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        push(text(take(u64())));
        break;
      case 0x42: // BINBYTES
        push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        push(take(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        push(take(u64()).slice());
        break;
      case 0x97: // NEXT_BUFFER
        fail('uses an out-of-band buffer (protocol 5 NEXT_BUFFER), which checkpoints never need');
        break;
      case 0x98: // READONLY_BUFFER: only marks the top buffer read-only
        top();
        break;

      case 0x29: // EMPTY_TUPLE
        push(container(new PyTuple([])));
        break;
      case 0x74: // TUPLE
        push(container(new PyTuple(popMark())));
        break;
      case 0x85: // TUPLE1
        push(container(new PyTuple([pop()])));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push(container(new PyTuple([pop(), b])));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push(container(new PyTuple([pop(), b, c])));
        break;
      }
      case 0x5d: // EMPTY_LIST
        push(container([]));
        break;
      case 0x6c: // LIST
        push(container(popMark()));
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        appendItems(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        push(container(new PyDict('dict')));
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const dict = container(new PyDict('dict'));
        setItems(dict, items);
        push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        push(container(new PySet([], false)));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof PySet) || set.frozen) fail(`adds items to a ${pythonTypeName(set)}, not a set`);
        for (const item of items) (set as PySet).items.push(item);
        break;
      }
      case 0x91: // FROZENSET
        push(container(new PySet(popMark(), true)));
        break;

      case 0x70: // PUT
        memoPut(Number(integer(ascii(line()))));
        break;
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x67: // GET
        memoGet(Number(integer(ascii(line()))));
        break;
      case 0x68: // BINGET
        memoGet(u8());
        break;
      case 0x6a: // LONG_BINGET
        memoGet(u32());
        break;

      case 0x63: {
        // GLOBAL: module and name as two text lines
        const module = text(line());
        push(global(module, text(line())));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings on the stack');
        push(global(module as string, name as string));
        break;
      }
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: {
        // EXT4: a global named through copyreg's extension registry; never allow-listed.
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : i32();
        throw new PickleGlobalError(
          `extension code ${code}`,
          `${options.where}: refers to a global through copyreg extension code ${code}, which torchport refuses to resolve (opcode at byte ${opAt})`,
        );
      }
      case 0x52: {
        // REDUCE
        const args = tupleArgs(pop(), 'REDUCE');
        push(apply(pop(), args, 'REDUCE'));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); only allow-listed globals, with their own meaning.
        const args = tupleArgs(pop(), 'NEWOBJ');
        push(apply(pop(), args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = tupleArgs(pop(), 'NEWOBJ_EX');
        if (!(kwargs instanceof PyDict) || kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        push(apply(pop(), args, 'NEWOBJ_EX'));
        break;
      }
      case 0x69: {
        // INST: module and name lines, arguments since the mark
        const module = text(line());
        const cls = global(module, text(line()));
        push(apply(cls, popMark(), 'INST'));
        break;
      }
      case 0x6f: {
        // OBJ: class and arguments since the mark
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        push(apply(items[0]!, items.slice(1), 'OBJ'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        build(top(), state, fail);
        break;
      }
      case 0x50: // PERSID (text id)
        push(options.persistentLoad(ascii(line())));
        break;
      case 0x51: // BINPERSID
        push(options.persistentLoad(pop()));
        break;
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')} (not a pickle, or a corrupt one)`);
    }
  }
}

/** BUILD sets instance state: allowed on OrderedDict (its attributes, e.g. `_metadata`) and tensors. */
function build(target: PyValue, state: PyValue, fail: (problem: string) => never): void {
  if (target instanceof TensorRef) return; // Python attributes on a tensor are not weights; torch's weights_only loader also admits them
  if (!(target instanceof PyDict) || target.pythonType !== 'collections.OrderedDict') {
    fail(`BUILD sets state on a ${pythonTypeName(target)}, which only OrderedDicts and tensors accept`);
  }
  // state is a dict of attributes, or (dict or None, slot dict) for classes with __slots__.
  const parts = state instanceof PyTuple ? state.items : [state];
  for (const part of parts) {
    if (part === null) continue;
    if (!(part instanceof PyDict)) return fail(`BUILD state for an OrderedDict must be a dict, got ${pythonTypeName(part)}`);
    for (const [key, value] of part) {
      if (typeof key !== 'string') return fail('BUILD state has a non-string attribute name');
      (target as PyDict).attributes.set(key, value);
    }
  }
}

function normalizeInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** pickle's decode_long: little-endian two's complement of any length (empty is 0). */
function decodeTwosComplement(raw: Uint8Array): bigint {
  if (raw.length === 0) return 0n;
  let hex = '';
  for (let i = raw.length - 1; i >= 0; i--) hex += raw[i]!.toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if (raw[raw.length - 1]! & 0x80) value -= 1n << BigInt(raw.length * 8);
  return value;
}

function parsePythonFloat(text: string, fail: (problem: string) => never): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return fail(`"${text.slice(0, 40)}" is not a float`);
  return Number(t);
}

/** A protocol 0 STRING argument: a quoted literal with Python's backslash escapes. */
function decodeQuotedString(raw: Uint8Array, fail: (problem: string) => never): Uint8Array {
  const quote = raw[0];
  if (raw.length < 2 || (quote !== 0x22 && quote !== 0x27) || raw[raw.length - 1] !== quote) fail('STRING argument is not a quoted literal');
  const body = raw.subarray(1, raw.length - 1);
  const out: number[] = [];
  const simple: Record<number, number> = { 0x5c: 0x5c, 0x27: 0x27, 0x22: 0x22, 0x6e: 0x0a, 0x74: 0x09, 0x72: 0x0d, 0x61: 0x07, 0x62: 0x08, 0x66: 0x0c, 0x76: 0x0b };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const e = body[++i];
    if (e === undefined) return fail('STRING literal ends in a lone backslash');
    if (e === 0x78) {
      const hex = String.fromCharCode(body[i + 1] ?? 0, body[i + 2] ?? 0);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return fail('STRING literal has a malformed \\x escape');
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (e >= 0x30 && e <= 0x37) {
      let digits = String.fromCharCode(e);
      while (digits.length < 3 && body[i + 1]! >= 0x30 && body[i + 1]! <= 0x37) digits += String.fromCharCode(body[++i]!);
      out.push(parseInt(digits, 8) & 0xff);
    } else if (simple[e] !== undefined) {
      out.push(simple[e]!);
    } else {
      out.push(0x5c, e); // Python keeps unknown escapes verbatim
    }
  }
  return Uint8Array.from(out);
}

/** Python's raw-unicode-escape codec: bytes are Latin-1 except \uXXXX and \UXXXXXXXX. */
function decodeRawUnicodeEscape(raw: Uint8Array): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x5c && (raw[i + 1] === 0x75 || raw[i + 1] === 0x55)) {
      const width = raw[i + 1] === 0x75 ? 4 : 8;
      const hex = String.fromCharCode(...raw.subarray(i + 2, i + 2 + width));
      if (hex.length === width && /^[0-9a-fA-F]+$/.test(hex)) {
        const code = parseInt(hex, 16);
        if (code <= 0x10ffff) {
          out += String.fromCodePoint(code);
          i += 1 + width;
          continue;
        }
      }
    }
    out += String.fromCharCode(c);
  }
  return out;
}
