// Matching a model file's inputs and outputs (from any converter) to a golden's: by name where the
// names agree, else by position or by shape; each tensor in PyTorch's layout (channels-first) or
// channels-last. The result says how to turn the golden's tensors into the model's and back.
import { TorchportError } from '../../errors.ts';
import { Tensor, channelsLastAxes, inversePermutation } from '../../tensor/index.ts';

/** One input or output of a model file: dims that are null (or -1) take any size. */
export interface ModelPort {
  readonly name: string;
  readonly shape: ReadonlyArray<number | null>;
  readonly dtype: string;
}

export interface GoldenPort {
  readonly name: string;
  /** PyTorch's shape. */
  readonly shape: readonly number[];
}

/** channels-first keeps PyTorch's axes; channels-last moves axis 1 to the end (NCHW -> NHWC). */
export type Layout = 'channels-first' | 'channels-last';
export type LayoutChoice = Layout | 'auto';

export interface PortPair {
  /** Index in the golden's list and in the model's list. */
  readonly golden: number;
  readonly model: number;
  readonly layout: Layout;
  /** model tensor = golden tensor.permute(toModel). */
  readonly toModel: readonly number[];
  /** golden tensor = model tensor.permute(toGolden). */
  readonly toGolden: readonly number[];
}

export interface IoBinding {
  /** One entry per model input, in the model's order. */
  readonly inputs: readonly PortPair[];
  /** One entry per golden output, in the golden's order. */
  readonly outputs: readonly PortPair[];
  /** How each side was paired, for messages: 'name', 'position' or 'shape'. */
  readonly pairedBy: { readonly inputs: PairedBy; readonly outputs: PairedBy };
}

type PairedBy = 'name' | 'position' | 'shape';

/** The model file's inputs or outputs cannot be paired with the golden's. Bad input: exit 2. */
export class IoMatchError extends TorchportError {
  readonly code = 'E_IO_MATCH';
}

export interface MatchOptions {
  /** Forces one layout for every tensor of rank >= 3 (--layout); default 'auto'. */
  readonly layout?: LayoutChoice;
  /** Names the model file in messages. */
  readonly file: string;
  /** Names the golden in messages. */
  readonly golden: string;
}

/** Pairs the model's inputs and outputs with the golden's; throws IoMatchError naming both sides when it cannot. */
export function matchIo(
  golden: { inputs: readonly GoldenPort[]; outputs: readonly GoldenPort[] },
  model: { inputs: readonly ModelPort[]; outputs: readonly ModelPort[] },
  options: MatchOptions,
): IoBinding {
  const inputs = matchSide('input', golden.inputs, model.inputs, options);
  const outputs = matchSide('output', golden.outputs, model.outputs, options);
  const byModel = [...inputs.pairs].sort((a, b) => a.model - b.model);
  return { inputs: byModel, outputs: outputs.pairs, pairedBy: { inputs: inputs.by, outputs: outputs.by } };
}

/** The golden's inputs (PyTorch layout, golden order) as the model's inputs (its layout, its order). */
export function toModelInputs(binding: IoBinding, inputs: readonly Tensor[]): Tensor[] {
  return binding.inputs.map((pair) => inputs[pair.golden]!.permute(pair.toModel));
}

/** The model's outputs (its layout, its order) as the golden's outputs (PyTorch layout, golden order). */
export function toGoldenOutputs(binding: IoBinding, outputs: readonly Tensor[]): Tensor[] {
  return binding.outputs.map((pair) => outputs[pair.model]!.permute(pair.toGolden));
}

/** The layouts whose shape fits the model's; several only when the shape is symmetric (e.g. [1, 8, 8, 8]). */
export function fittingLayouts(torchShape: readonly number[], modelShape: ReadonlyArray<number | null>, choice: LayoutChoice = 'auto'): Layout[] {
  const candidates: Layout[] = torchShape.length >= 3 ? (choice === 'auto' ? ['channels-first', 'channels-last'] : [choice]) : ['channels-first'];
  return candidates.filter((layout) => fits(permuteShape(torchShape, permutationFor(layout, torchShape.length)), modelShape));
}

function permutationFor(layout: Layout, rank: number): number[] {
  return layout === 'channels-last' ? channelsLastAxes(rank) : Array.from({ length: rank }, (_, i) => i);
}

function permuteShape(shape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((axis) => shape[axis]!);
}

function fits(shape: readonly number[], modelShape: ReadonlyArray<number | null>): boolean {
  return shape.length === modelShape.length && modelShape.every((dim, i) => dim === null || dim < 0 || dim === shape[i]);
}

/** Converter decorations around a name: `serving_default_x:0`, `StatefulPartitionedCall:0`... */
export function normalizeName(name: string): string {
  return name
    .replace(/:\d+$/, '')
    .replace(/^serving_default_/, '')
    .toLowerCase();
}

function matchSide(role: 'input' | 'output', golden: readonly GoldenPort[], model: readonly ModelPort[], options: MatchOptions): { pairs: PortPair[]; by: PairedBy } {
  const sides = () => describeSides(role, golden, model, options);
  if (golden.length !== model.length) {
    throw new IoMatchError(`${options.file} has ${model.length} ${role}(s) but golden ${options.golden} has ${golden.length}: ${sides()}`);
  }
  const byName = pairByName(golden, model);
  const attempts: Array<{ by: PairedBy; order: number[] | null }> = [
    { by: 'name', order: byName },
    { by: 'position', order: golden.map((_, i) => i) },
    { by: 'shape', order: pairByShape(golden, model, options.layout ?? 'auto') },
  ];
  const problems: string[] = [];
  for (const { by, order } of attempts) {
    if (!order) continue;
    const pairs: PortPair[] = [];
    const local: string[] = [];
    order.forEach((m, g) => {
      const layouts = fittingLayouts(golden[g]!.shape, model[m]!.shape, options.layout);
      if (layouts.length === 1) {
        const toModel = permutationFor(layouts[0]!, golden[g]!.shape.length);
        pairs.push({ golden: g, model: m, layout: layouts[0]!, toModel, toGolden: inversePermutation(toModel) });
      } else if (layouts.length === 0) {
        local.push(`${golden[g]!.name} [${golden[g]!.shape.join(', ')}] fits ${model[m]!.name} [${showShape(model[m]!.shape)}] in neither layout`);
      } else {
        local.push(
          `${golden[g]!.name} [${golden[g]!.shape.join(', ')}] fits ${model[m]!.name} [${showShape(model[m]!.shape)}] both channels-first and channels-last; say which with --layout channels-first|channels-last`,
        );
      }
    });
    if (local.length === 0) return { pairs, by };
    problems.push(`by ${by}: ${local.join('; ')}`);
    // Names that agree are the user's intent: a shape problem under them is the answer, not a reason to guess.
    if (by === 'name') break;
  }
  throw new IoMatchError(`cannot match the ${role}s of ${options.file} to golden ${options.golden}'s (${problems.join(' | ') || 'no pairing by name, position or shape'}): ${sides()}`);
}

/** Model index per golden port when every golden name is found, once, among the model's names. */
function pairByName(golden: readonly GoldenPort[], model: readonly ModelPort[]): number[] | null {
  const order = golden.map((port) => {
    const hits = model.flatMap((m, i) => (normalizeName(m.name) === normalizeName(port.name) ? [i] : []));
    return hits.length === 1 ? hits[0]! : -1;
  });
  return order.every((m) => m >= 0) && new Set(order).size === order.length ? order : null;
}

/** Model index per golden port when each golden port's shape fits exactly one model port. */
function pairByShape(golden: readonly GoldenPort[], model: readonly ModelPort[], choice: LayoutChoice): number[] | null {
  const order = golden.map((port) => {
    const hits = model.flatMap((m, i) => (fittingLayouts(port.shape, m.shape, choice).length > 0 ? [i] : []));
    return hits.length === 1 ? hits[0]! : -1;
  });
  return order.every((m) => m >= 0) && new Set(order).size === order.length ? order : null;
}

function showShape(shape: ReadonlyArray<number | null>): string {
  return shape.map((d) => (d === null || d < 0 ? '?' : String(d))).join(', ');
}

function describeSides(role: string, golden: readonly GoldenPort[], model: readonly ModelPort[], options: MatchOptions): string {
  const list = (ports: ReadonlyArray<{ name: string; shape: ReadonlyArray<number | null> }>) => ports.map((p) => `${p.name} [${showShape(p.shape)}]`).join(', ') || '(none)';
  return `golden ${role}s (PyTorch layout): ${list(golden)}; ${options.file} ${role}s: ${list(model)}`;
}
