// Which part of a checkpoint holds the weights. The rule, applied to the unpickled root:
//   1. With `key` ("state_dict", or a path "model/ema" through nested dicts): exactly that entry;
//      "." takes every tensor of the root, flattened.
//   2. A root dict whose every value is a tensor: the whole thing (a bare state_dict).
//   3. Otherwise the first of WELL_KNOWN_KEYS present whose value holds tensors; the rule is
//      applied again inside it, so {'model': {'state_dict': ...}, 'epoch': 3} works too.
//   4. Otherwise the one top-level entry that holds tensors; several such entries is an error
//      that lists them (name one with `key`).
//   5. Otherwise the tensors sitting directly in the root dict, next to plain values.
//   A root that is itself a tensor gives one tensor named "".
// Nested dicts of tensors flatten to dotted names, as nn.Module.state_dict() names them. Every
// other top-level entry is returned as JSON-friendly metadata.
import { CheckpointKeyError, PickleLimitError } from './errors.ts';
import { PyDict, PyGlobal, PySet, PyTuple, StorageRef, TensorRef, pythonTypeName, type PyValue } from './python-values.ts';

export const WELL_KNOWN_KEYS = ['state_dict', 'model_state_dict', 'model', 'module', 'net', 'network', 'weights', 'params'] as const;

export type MetadataValue = null | boolean | number | string | MetadataValue[] | { [key: string]: MetadataValue };

export interface Selection {
  /** Path of the selected entry ("model", "model/state_dict"), or null when the root itself was taken. */
  selectedKey: string | null;
  tensors: Map<string, TensorRef>;
  metadata: Record<string, MetadataValue>;
}

/** Nesting and visit bounds for walking unpickled data (a DAG from memo references can be exponentially large when unfolded). */
export interface WalkLimits {
  maxDepth: number;
  maxVisits: number;
}

const DEFAULT_WALK_LIMITS: Readonly<WalkLimits> = { maxDepth: 100, maxVisits: 10_000_000 };

/** Characters kept of one metadata string, and of all of them together. */
const METADATA_STRING_CHARS = 4096;
const METADATA_CHARS = 1 << 20;

export function selectWeights(root: PyValue, options: { key?: string | undefined; where: string; limits?: Partial<WalkLimits> | undefined }): Selection {
  const walk = new Walker(options.where, { ...DEFAULT_WALK_LIMITS, ...options.limits });
  const { where } = options;
  if (root instanceof TensorRef) return { selectedKey: null, tensors: new Map([['', root]]), metadata: {} };
  if (!(root instanceof PyDict)) {
    throw new CheckpointKeyError(`${where}: the checkpoint holds a ${pythonTypeName(root)}, not a dict of tensors; torchport reads state dicts and checkpoints that contain one`);
  }
  if (options.key === '.') return { selectedKey: '.', tensors: walk.flattenTensors(root), metadata: {} };
  if (options.key !== undefined) {
    const path = options.key.split('/');
    let node: PyValue = root;
    const walked: string[] = [];
    for (const part of root.has(options.key) ? [options.key] : path) {
      if (!(node instanceof PyDict) || !node.has(part)) {
        const available = node instanceof PyDict ? [...node.keys()].map(String).join(', ') : `a ${pythonTypeName(node)}`;
        throw new CheckpointKeyError(`${where}: no key "${[...walked, part].join('/')}" in the checkpoint (available: ${available})`);
      }
      node = node.get(part)!;
      walked.push(part);
    }
    const tensors = walk.flattenTensors(node);
    if (tensors.size === 0) throw new CheckpointKeyError(`${where}: key "${options.key}" holds no tensors (it is a ${pythonTypeName(node)})`);
    return { selectedKey: options.key, tensors, metadata: walk.metadataExcept(root, root.has(options.key) ? options.key : path[0]!) };
  }
  const chosen = walk.choose(root, []);
  if (chosen.path.length === 0) {
    return { selectedKey: null, tensors: chosen.tensors, metadata: walk.metadataExcept(root, undefined, chosen.directOnly) };
  }
  return { selectedKey: chosen.path.join('/'), tensors: chosen.tensors, metadata: walk.metadataExcept(root, chosen.path[0]) };
}

class Walker {
  private visits = 0;
  /** How many characters of metadata strings are left to keep (see METADATA_CHARS). */
  private metadataChars = METADATA_CHARS;
  private readonly treeSizes = new WeakMap<object, number>();
  private readonly dictTreeSizes = new WeakMap<object, number>();
  constructor(
    private readonly where: string,
    private readonly limits: WalkLimits,
  ) {}

  choose(dict: PyDict, path: string[]): { path: string[]; tensors: Map<string, TensorRef>; directOnly: boolean } {
    if (path.length > 4) throw new CheckpointKeyError(`${this.where}: weights nested deeper than ${path.join('/')}; name them with --key`);
    // At the root only a flat dict of tensors is taken whole: {'student': sd, 'teacher': sd} is a
    // choice to make, not one model. Inside a chosen entry, nested dicts flatten to dotted names.
    if (path.length === 0 ? this.isFlatTensorDict(dict) : this.isTensorTree(dict, 0)) return { path, tensors: this.flattenTensors(dict), directOnly: false };
    for (const key of WELL_KNOWN_KEYS) {
      const value = dict.get(key);
      if (value instanceof PyDict && this.countTensors(value) > 0) return this.choose(value, [...path, key]);
    }
    const holders = [...dict].filter(([key, value]) => typeof key === 'string' && value instanceof PyDict && this.countTensors(value) > 0);
    if (holders.length === 1) return this.choose(holders[0]![1] as PyDict, [...path, holders[0]![0] as string]);
    if (holders.length > 1) {
      const listed = holders.map(([key, value]) => `"${[...path, key].join('/')}" (${this.countTensors(value)} tensors)`).join(', ');
      throw new CheckpointKeyError(`${this.where}: several entries hold tensors: ${listed}; choose one with --key (e.g. --key ${[...path, holders[0]![0]].join('/')})`);
    }
    const direct = new Map<string, TensorRef>();
    for (const [key, value] of dict) if (value instanceof TensorRef) direct.set(String(key), value);
    if (direct.size > 0) return { path, tensors: direct, directOnly: true };
    throw new CheckpointKeyError(`${this.where}: the checkpoint holds no tensors (top-level keys: ${[...dict.keys()].map(String).join(', ') || 'none'})`);
  }

  private isFlatTensorDict(dict: PyDict): boolean {
    for (const value of dict.values()) if (!(value instanceof TensorRef)) return false;
    return true;
  }

  /** True for a dict of tensors or of dicts of tensors (an empty dict counts). */
  private isTensorTree(value: PyValue, depth: number): boolean {
    if (depth === 0) this.refuseUnfolding(value, 'dicts');
    this.visit(depth);
    if (value instanceof TensorRef) return true;
    if (!(value instanceof PyDict)) return false;
    for (const child of value.values()) if (!this.isTensorTree(child, depth + 1)) return false;
    return true;
  }

  private countTensors(value: PyValue): number {
    return this.flattenTensors(value).size;
  }

  flattenTensors(value: PyValue): Map<string, TensorRef> {
    this.refuseUnfolding(value, 'dicts');
    const out = new Map<string, TensorRef>();
    const visit = (node: PyValue, prefix: string, depth: number): void => {
      this.visit(depth);
      if (node instanceof TensorRef) out.set(prefix, node);
      else if (node instanceof PyDict) for (const [key, child] of node) visit(child, prefix === '' ? String(key) : `${prefix}.${String(key)}`, depth + 1);
    };
    visit(value, '', 0);
    return out;
  }

  /** The root's entries as metadata, leaving out the selected one (or, with directOnly, its tensors). */
  metadataExcept(root: PyDict, selected: string | undefined, directOnly = false): Record<string, MetadataValue> {
    const out: Record<string, MetadataValue> = Object.create(null) as Record<string, MetadataValue>;
    if (selected === undefined && !directOnly) return out;
    for (const [key, value] of root) {
      if (key === selected || (directOnly && value instanceof TensorRef)) continue;
      this.refuseUnfolding(value, 'all');
      out[String(key)] = this.toMetadata(value, 1, new Set());
    }
    return out;
  }

  /**
   * Refuses at once, before walking, a value whose walk would unfold past the visit budget: memo
   * references make the data a DAG whose tree can be exponentially larger (ten levels of ten
   * shared dicts is 10^10 names from 2 KB of pickle). The tree size is counted over the DAG with
   * one memoised count per object, so this costs one step per distinct object.
   */
  private refuseUnfolding(value: PyValue, follow: 'dicts' | 'all'): void {
    const left = this.limits.maxVisits - this.visits;
    const sizes = follow === 'dicts' ? this.dictTreeSizes : this.treeSizes;
    const inProgress = new Set<object>();
    const count = (node: PyValue, depth: number): number => {
      if (depth > this.limits.maxDepth) return 1; // the walk refuses this depth by itself
      if (node === null || typeof node !== 'object' || node instanceof TensorRef || node instanceof StorageRef || node instanceof PyGlobal || node instanceof Uint8Array) return 1;
      const known = sizes.get(node);
      if (known !== undefined) return known;
      if (inProgress.has(node)) return 1; // a cycle: the walk stops there on its own
      inProgress.add(node);
      let total = 1;
      const children = node instanceof PyDict ? node.values() : follow === 'dicts' ? [] : Array.isArray(node) ? node : node instanceof PyTuple || node instanceof PySet ? node.items : [];
      for (const child of children) {
        total += count(child, depth + 1);
        if (total > left) break; // no need to count further: it is refused
      }
      inProgress.delete(node);
      sizes.set(node, total);
      return total;
    };
    const size = count(value, 0);
    if (size > left) {
      throw new PickleLimitError(`${this.where}: walking the data would take more than ${this.limits.maxVisits} steps (shared references unfolding exponentially: a pickle bomb?)`);
    }
  }

  private toMetadata(value: PyValue, depth: number, ancestors: Set<object>): MetadataValue {
    this.visit(depth);
    if (typeof value === 'string') return this.keepString(value);
    if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return { bytes: value.byteLength };
    if (value instanceof TensorRef) return { tensor: `${value.storage.dtype}[${value.shape.join(', ')}]` };
    if (value instanceof StorageRef) return { storage: `${value.dtype}[${value.numel}]` };
    if (value instanceof PyGlobal) return { global: value.qualifiedName };
    if (ancestors.has(value)) return '<recursive>';
    ancestors.add(value);
    try {
      if (value instanceof PyDict) {
        const out: Record<string, MetadataValue> = Object.create(null) as Record<string, MetadataValue>;
        for (const [key, child] of value) out[String(key)] = this.toMetadata(child, depth + 1, ancestors);
        return out;
      }
      const items = Array.isArray(value) ? value : value instanceof PyTuple || value instanceof PySet ? value.items : [];
      return items.map((item) => this.toMetadata(item, depth + 1, ancestors));
    } finally {
      ancestors.delete(value);
    }
  }

  /**
   * Metadata is for showing: a long string is cut to its start, and once METADATA_CHARS characters
   * are kept the rest is summarised, so a 1 MB string referenced 600 times is not 600 MB of output.
   */
  private keepString(text: string): string {
    const kept = Math.min(text.length, METADATA_STRING_CHARS, this.metadataChars);
    this.metadataChars -= kept;
    return kept === text.length ? text : `${text.slice(0, kept)}… (${text.length} characters)`;
  }

  private visit(depth: number): void {
    if (depth > this.limits.maxDepth) throw new PickleLimitError(`${this.where}: data nested more than ${this.limits.maxDepth} levels deep (pickle bomb?)`);
    if (++this.visits > this.limits.maxVisits)
      throw new PickleLimitError(`${this.where}: walking the data took more than ${this.limits.maxVisits} steps (shared references unfolding exponentially: a pickle bomb?)`);
  }
}
