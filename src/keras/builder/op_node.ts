// A graph node as the op converters see it: its arguments bound to names, module
// hyperparameters, and decoders that fail with the node named.
import type { CapturedGraph, GraphArg, GraphNode } from '../../torch/index.ts';
import { KerasBuildError } from './errors.ts';
import { canonicalOpName } from './op_names.ts';

/** Thrown by a check or a decoder: this node is not supported as recorded (collected, not fatal). */
export class Unsupported extends Error {}

export class OpNode {
  readonly attrs: Readonly<Record<string, unknown>>;

  constructor(
    readonly node: GraphNode,
    graph: CapturedGraph,
  ) {
    this.attrs = node.module !== undefined ? (graph.modules[node.module]?.attributes ?? {}) : {};
  }

  get name(): string {
    return this.node.name;
  }

  /** The op as the table names it (see canonicalOpName). */
  get op(): string {
    return canonicalOpName(this.node.op);
  }

  /** "node 'layer1.0.conv1' (Conv2d)" for messages. */
  get where(): string {
    return `node '${this.node.name}' (${this.node.op}${this.node.scope ? ` in module '${this.node.scope}'` : ''})`;
  }

  /**
   * Binds positional args and kwargs to a Python-like signature: plain names, `name=` for
   * optional ones, `*name` collects the remaining positional args into a list.
   */
  bind(signature: readonly string[]): Record<string, GraphArg | undefined> {
    const bound: Record<string, GraphArg | undefined> = {};
    let position = 0;
    for (const entry of signature) {
      const name = entry.replace(/^\*/, '').replace(/=$/, '');
      if (entry.startsWith('*')) {
        const rest = this.node.args.slice(position);
        position = this.node.args.length;
        bound[name] = this.node.kwargs[name] ?? (rest.length > 0 ? { list: rest } : undefined);
        continue;
      }
      bound[name] = position < this.node.args.length ? this.node.args[position] : this.node.kwargs[name];
      position++;
    }
    const known = new Set(signature.map((entry) => entry.replace(/^\*/, '').replace(/=$/, '')));
    const extra = Object.keys(this.node.kwargs).filter((key) => !known.has(key));
    if (extra.length > 0 || position < this.node.args.length) {
      throw new Unsupported(`unexpected arguments ${extra.length > 0 ? extra.join(', ') : `beyond ${signature.join(', ')}`}`);
    }
    return bound;
  }

  attrNumber(key: string): number {
    const value = this.attrs[key];
    if (typeof value !== 'number') throw new Unsupported(`module attribute ${key} is ${JSON.stringify(value)}, not a number`);
    return value;
  }

  /** An int or a tuple attribute (kernel_size) as `count` numbers. */
  attrInts(key: string, count: number): number[] {
    return expand(this.attrs[key], count, `module attribute ${key}`);
  }

  fail(problem: string): never {
    throw new KerasBuildError(`${this.where}: ${problem}`);
  }
}

export function expand(value: unknown, count: number, what: string): number[] {
  if (typeof value === 'number') return new Array<number>(count).fill(value);
  if (Array.isArray(value) && value.length === count && value.every((v) => typeof v === 'number')) return value as number[];
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') return new Array<number>(count).fill(value[0]);
  throw new Unsupported(`${what} is ${JSON.stringify(value)}, expected ${count} integer(s)`);
}

// -- argument decoders -------------------------------------------------------------------------

export const isValueArg = (arg: GraphArg | undefined): arg is { value: string } => arg !== undefined && 'value' in arg;
export const isTensorConstant = (arg: GraphArg | undefined): arg is { param: string } | { constant: string } => arg !== undefined && ('param' in arg || 'constant' in arg);

/** A plain Python value (number, bool, string, None, nested lists of them); undefined when absent. */
export function literal(arg: GraphArg | undefined, what: string): unknown {
  if (arg === undefined) return undefined;
  if ('const' in arg) return arg.const;
  if ('list' in arg) return arg.list.map((item) => literal(item, what));
  throw new Unsupported(`${what} must be a plain value, got ${JSON.stringify(arg)}`);
}

/** The capture writes non-finite floats (float('-inf') fills) as the strings 'inf', '-inf', 'nan'. */
const NON_FINITE: Readonly<Record<string, number>> = { inf: Infinity, '-inf': -Infinity, nan: NaN };

export function num(arg: GraphArg | undefined, what: string, fallback?: number): number {
  const raw = literal(arg, what);
  const value = typeof raw === 'string' && Object.hasOwn(NON_FINITE, raw) ? NON_FINITE[raw] : raw;
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw new Unsupported(`${what} is missing`);
  }
  if (typeof value !== 'number') throw new Unsupported(`${what} must be a number, got ${JSON.stringify(value)}`);
  return value;
}

export function bool(arg: GraphArg | undefined, what: string, fallback: boolean): boolean {
  const value = literal(arg, what);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new Unsupported(`${what} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

export function str(arg: GraphArg | undefined, what: string, fallback: string): string {
  const value = literal(arg, what);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw new Unsupported(`${what} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** An int, or a list of ints (a shape, dims); a varargs list holding one list is unwrapped. */
export function ints(arg: GraphArg | undefined, what: string): number[] | undefined {
  const value = literal(arg, what);
  if (value === undefined || value === null) return undefined;
  const flat = Array.isArray(value) && value.length === 1 && Array.isArray(value[0]) ? value[0] : value;
  const list = Array.isArray(flat) ? flat : [flat];
  if (!list.every((v) => Number.isInteger(v))) throw new Unsupported(`${what} must be integers, got ${JSON.stringify(value)}`);
  return list as number[];
}

export function valueId(arg: GraphArg | undefined, what: string): string {
  if (!isValueArg(arg)) throw new Unsupported(`${what} must be a tensor computed from the inputs, got ${JSON.stringify(arg)}`);
  return arg.value;
}
