// The captured-graph format (graph.json) written by scripts/torchport_capture.py: what a PyTorch
// model computed on concrete inputs, as leaf-module calls and functional ops over numbered values.
// This module owns the format; the Keras builder reads only the `CapturedGraph` type.
import { TorchportError } from '../errors.ts';

export const GRAPH_FORMAT = 'torchport-graph';
const GRAPH_VERSION = 1;

/** An argument of a node, as recorded. */
export type GraphArg =
  | { readonly value: string }
  | { readonly param: string }
  | { readonly constant: string }
  | { readonly const: number | boolean | string | null }
  | { readonly list: readonly GraphArg[] }
  | { readonly dict: Readonly<Record<string, GraphArg>> }
  | { readonly slice: readonly [GraphArg, GraphArg, GraphArg] }
  | { readonly ellipsis: true }
  | { readonly dtype: string }
  | { readonly repr: string };

export type OutputStructure = 'tensor' | null | readonly OutputStructure[];

export interface GraphNode {
  /** Unique; a module node is named by its module path (":N" added when a module is called again). */
  readonly name: string;
  readonly kind: 'module' | 'function';
  /** Module class name (Conv2d) or function name (torch.cat, Tensor.view, F.relu, Tensor.__getitem__). */
  readonly op: string;
  /** The module path whose forward made the call (for module nodes: the module itself). */
  readonly scope: string;
  /** For module nodes: the module path, i.e. the state_dict prefix of its parameters. */
  readonly module?: string;
  readonly args: readonly GraphArg[];
  readonly kwargs: Readonly<Record<string, GraphArg>>;
  readonly outputs: readonly string[];
  readonly structure: OutputStructure;
}

export interface ModuleInfo {
  readonly type: string;
  readonly class: string;
  readonly leaf: boolean;
  /** Public plain-data attributes of leaf modules (hyperparameters): kernel_size, eps, ... */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly parameters: readonly string[];
  readonly buffers: readonly string[];
}

export interface ValueInfo {
  readonly shape: readonly number[];
  readonly dtype: string;
}

export interface CapturedGraph {
  readonly format: typeof GRAPH_FORMAT;
  readonly version: typeof GRAPH_VERSION;
  readonly inputs: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly values: Readonly<Record<string, ValueInfo>>;
  /** The module tree by path ("" is the root); paths are state_dict prefixes. */
  readonly modules: Readonly<Record<string, ModuleInfo>>;
  /** In execution order: every value is produced before it is used. */
  readonly nodes: readonly GraphNode[];
  /** Constant tensors (stored in constants.safetensors under these ids). */
  readonly constants: Readonly<Record<string, ValueInfo>>;
}

export class GraphFormatError extends TorchportError {
  readonly code = 'E_GRAPH_FORMAT';
}

/**
 * Parses graph.json and checks what the builder relies on: known format and version, every value a
 * node reads was produced earlier (or is an input), every module node names a known module.
 */
export function parseCapturedGraph(text: string, where: string): CapturedGraph {
  const fail = (problem: string): never => {
    throw new GraphFormatError(`${where}: ${problem}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) return fail('not a JSON object');
  const graph = raw as CapturedGraph;
  if (graph.format !== GRAPH_FORMAT) fail(`"format" must be "${GRAPH_FORMAT}"`);
  if (graph.version !== GRAPH_VERSION) fail(`unsupported graph version ${JSON.stringify(graph.version)} (this torchport reads ${GRAPH_VERSION})`);
  for (const key of ['inputs', 'outputs', 'nodes'] as const) if (!Array.isArray(graph[key])) fail(`"${key}" must be an array`);
  for (const key of ['values', 'modules', 'constants'] as const) if (typeof graph[key] !== 'object' || graph[key] === null) fail(`"${key}" must be an object`);
  const defined = new Set(graph.inputs.map((input) => input.value));
  const names = new Set<string>();
  const checkArg = (arg: GraphArg, node: string): void => {
    if ('value' in arg && !defined.has(arg.value)) fail(`node ${node} reads value ${arg.value} before it is produced`);
    if ('constant' in arg && !(arg.constant in graph.constants)) fail(`node ${node} reads unknown constant ${arg.constant}`);
    if ('list' in arg) arg.list.forEach((a) => checkArg(a, node));
    if ('dict' in arg) Object.values(arg.dict).forEach((a) => checkArg(a, node));
    if ('slice' in arg) arg.slice.forEach((a) => checkArg(a, node));
  };
  for (const node of graph.nodes) {
    if (typeof node.name !== 'string' || names.has(node.name)) fail(`node name ${JSON.stringify(node.name)} is missing or repeated`);
    names.add(node.name);
    if (node.kind === 'module' && !(node.module !== undefined && node.module in graph.modules)) fail(`module node ${node.name} names unknown module ${JSON.stringify(node.module)}`);
    node.args.forEach((arg) => checkArg(arg, node.name));
    Object.values(node.kwargs).forEach((arg) => checkArg(arg, node.name));
    for (const value of node.outputs) {
      if (!(value in graph.values)) fail(`node ${node.name} produces value ${value} that has no shape record`);
      defined.add(value);
    }
  }
  for (const output of graph.outputs) if (!defined.has(output.value)) fail(`output ${output.name} is value ${output.value}, which no node produces`);
  return graph;
}
