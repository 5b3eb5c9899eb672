// Bounds-checked access to a flatbuffer we did not write. Every offset a file gives is checked
// against the file before it is followed, and every vector's claimed length against the bytes
// that remain, so a truncated or crafted file is an error naming the offset, never a RangeError
// or an out-of-bounds read. Elements decoded are also counted against a budget proportional to
// the file size: flatbuffers may share sub-objects, and a small file whose vectors all point at
// one large vector would otherwise make us decode far more than it holds.
import { TorchportError } from '../errors.ts';

export class TfliteFormatError extends TorchportError {
  readonly code = 'E_TFLITE_FORMAT';
}

export class FlatbufferView {
  private readonly view: DataView;
  private budget: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly where: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.budget = 16 * bytes.byteLength + 65_536;
  }

  fail(problem: string, offset?: number): never {
    throw new TfliteFormatError(`${this.where}: ${problem}${offset === undefined ? '' : ` (at byte ${offset})`}; the file is truncated, corrupt or not a .tflite model`);
  }

  private need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > this.bytes.byteLength) {
      this.fail(`${what} needs bytes ${offset}..${offset + size} but the file has ${this.bytes.byteLength}`, offset);
    }
  }

  spend(elements: number, what: string): void {
    this.budget -= elements;
    if (this.budget < 0) this.fail(`${what}: the file references far more elements than it can hold (shared or overlapping vectors)`);
  }

  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.view.getUint8(offset);
  }
  i8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.view.getInt8(offset);
  }
  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }
  i32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getInt32(offset, true);
  }
  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }
  f32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getFloat32(offset, true);
  }
  i64(offset: number, what: string): bigint {
    this.need(offset, 8, what);
    return this.view.getBigInt64(offset, true);
  }
  u64(offset: number, what: string): bigint {
    this.need(offset, 8, what);
    return this.view.getBigUint64(offset, true);
  }

  /** The table a uoffset at `at` points to. */
  tableAt(at: number, what: string): TableView {
    return new TableView(this, at + this.u32(at, what), what);
  }

  root(): TableView {
    return this.tableAt(0, 'root table offset');
  }
}

/** One table: its vtable says which fields are present and where. */
export class TableView {
  private readonly vtable: number;
  private readonly vtableSize: number;
  private readonly tableSize: number;

  constructor(
    readonly file: FlatbufferView,
    readonly position: number,
    readonly what: string,
  ) {
    const vtable = position - file.i32(position, `${what} vtable offset`);
    const vtableSize = file.u16(vtable, `${what} vtable`);
    const tableSize = file.u16(vtable + 2, `${what} vtable`);
    if (vtableSize < 4 || vtableSize % 2 !== 0) file.fail(`${what} has a malformed vtable (size ${vtableSize})`, vtable);
    file.u16(vtable + vtableSize - 2, `${what} vtable entries`);
    if (tableSize < 4) file.fail(`${what} claims an inline size of ${tableSize} bytes`, position);
    file.u8(position + tableSize - 1, `${what} inline fields`);
    this.vtable = vtable;
    this.vtableSize = vtableSize;
    this.tableSize = tableSize;
  }

  /** Absolute position of field `slot`, or undefined when absent; checks it fits the table. */
  private field(slot: number, size: number, name: string): number | undefined {
    const entry = 4 + 2 * slot;
    if (entry >= this.vtableSize) return undefined;
    const offset = this.file.u16(this.vtable + entry, `${this.what}.${name}`);
    if (offset === 0) return undefined;
    if (offset + size > this.tableSize) this.file.fail(`${this.what}.${name} lies outside its table`, this.position + offset);
    return this.position + offset;
  }

  has(slot: number): boolean {
    return this.field(slot, 1, `field ${slot}`) !== undefined;
  }

  bool(slot: number, name: string, byDefault = false): boolean {
    const at = this.field(slot, 1, name);
    return at === undefined ? byDefault : this.file.u8(at, name) !== 0;
  }
  i8(slot: number, name: string, byDefault = 0): number {
    const at = this.field(slot, 1, name);
    return at === undefined ? byDefault : this.file.i8(at, name);
  }
  i32(slot: number, name: string, byDefault = 0): number {
    const at = this.field(slot, 4, name);
    return at === undefined ? byDefault : this.file.i32(at, name);
  }
  u32(slot: number, name: string, byDefault = 0): number {
    const at = this.field(slot, 4, name);
    return at === undefined ? byDefault : this.file.u32(at, name);
  }
  f32(slot: number, name: string, byDefault = 0): number {
    const at = this.field(slot, 4, name);
    return at === undefined ? byDefault : this.file.f32(at, name);
  }
  u64(slot: number, name: string): bigint {
    const at = this.field(slot, 8, name);
    return at === undefined ? 0n : this.file.u64(at, name);
  }

  table(slot: number, name: string): TableView | undefined {
    const at = this.field(slot, 4, name);
    return at === undefined ? undefined : this.file.tableAt(at, `${this.what}.${name}`);
  }

  /** Start and length of a vector field whose elements are `elementSize` bytes. */
  private vector(slot: number, elementSize: number, name: string): { start: number; length: number } | undefined {
    const at = this.field(slot, 4, name);
    if (at === undefined) return undefined;
    const where = at + this.file.u32(at, `${this.what}.${name}`);
    const length = this.file.u32(where, `${this.what}.${name} length`);
    const start = where + 4;
    if (length > 0) this.file.u8(start + length * elementSize - 1, `${this.what}.${name} (${length} elements)`);
    return { start, length };
  }

  string(slot: number, name: string): string | undefined {
    const vector = this.vector(slot, 1, name);
    if (!vector) return undefined;
    this.file.spend(vector.length, `${this.what}.${name}`);
    return new TextDecoder('utf-8').decode(this.file.bytes.subarray(vector.start, vector.start + vector.length));
  }

  /** A [ubyte] vector as a view into the file (not copied). */
  bytes(slot: number, name: string): Uint8Array | undefined {
    const vector = this.vector(slot, 1, name);
    return vector && this.file.bytes.subarray(vector.start, vector.start + vector.length);
  }

  int32s(slot: number, name: string): number[] | undefined {
    const vector = this.vector(slot, 4, name);
    if (!vector) return undefined;
    this.file.spend(vector.length, `${this.what}.${name}`);
    return Array.from({ length: vector.length }, (_, i) => this.file.i32(vector.start + 4 * i, name));
  }

  float32s(slot: number, name: string): number[] | undefined {
    const vector = this.vector(slot, 4, name);
    if (!vector) return undefined;
    this.file.spend(vector.length, `${this.what}.${name}`);
    return Array.from({ length: vector.length }, (_, i) => this.file.f32(vector.start + 4 * i, name));
  }

  int64s(slot: number, name: string): bigint[] | undefined {
    const vector = this.vector(slot, 8, name);
    if (!vector) return undefined;
    this.file.spend(vector.length, `${this.what}.${name}`);
    return Array.from({ length: vector.length }, (_, i) => this.file.i64(vector.start + 8 * i, name));
  }

  tables(slot: number, name: string): TableView[] {
    const vector = this.vector(slot, 4, name);
    if (!vector) return [];
    this.file.spend(vector.length, `${this.what}.${name}`);
    return Array.from({ length: vector.length }, (_, i) => this.file.tableAt(vector.start + 4 * i, `${this.what}.${name}[${i}]`));
  }
}
