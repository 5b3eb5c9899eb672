// Layouts: how a Keras tensor holds a PyTorch value. PyTorch feature maps are channels-first
// (NCHW), the Keras model is channels-last (NHWC): instead of transposing, every value records
// which PyTorch axis each Keras axis holds, and ops are rewritten for it (a cat on PyTorch dim 1
// becomes a Concatenate on Keras axis 3).
import { inversePermutation } from '../../tensor/index.ts';

/**
 * Keras axis i holds PyTorch axis perm[i]: keras = torch.permute(perm). NHWC for an NCHW value
 * is [0, 2, 3, 1]. Axis 0 (the batch) always stays first.
 *
 * With `source`, the value is a flattened one ([N, F]) whose features Keras holds in another
 * order: PyTorch's value is the flatten of a tensor of shape `source`, Keras's the flatten of
 * that tensor permuted by `perm` (a Flatten of an NHWC map). A Dense can absorb that order in its
 * kernel rows; other consumers first make the value plain.
 */
export interface Layout {
  readonly perm: readonly number[];
  readonly source?: readonly number[];
}

export const identityPerm = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i);

/** Channels-last for feature maps: NCHW -> NHWC, NCL -> NLC, NCDHW -> NDHWC. */
export const channelsLastPerm = (rank: number): number[] => (rank < 3 ? identityPerm(rank) : [0, ...identityPerm(rank - 2).map((i) => i + 2), 1]);

/**
 * The layout a value gets when nothing says otherwise: channels-last for rank 4 and 5 (images,
 * volumes), PyTorch's own order below (vectors, and rank-3 tensors that are as often (N, L, D)
 * token sequences as (N, C, L) signals; Conv1d asks for channels-last itself).
 */
export const canonicalPerm = (rank: number): number[] => (rank >= 4 ? channelsLastPerm(rank) : identityPerm(rank));

export const samePerm = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The Keras axis holding PyTorch axis `torchAxis` (negative axes count from the end). */
export function kerasAxis(layout: Layout, torchAxis: number): number {
  const rank = layout.perm.length;
  const axis = torchAxis < 0 ? torchAxis + rank : torchAxis;
  return layout.perm.indexOf(axis);
}

export const kerasShapeOf = (torchShape: readonly number[], perm: readonly number[]): number[] => perm.map((axis) => torchShape[axis]!);

/** Inverse permutation: inverse(p)[p[i]] = i. */
export const inversePerm = inversePermutation;

/**
 * Whether going from layout `from` to `to` (same PyTorch shape) only moves size-1 axes: then a
 * Reshape does it, no data moves.
 */
export function onlyUnitAxesMove(shape: readonly number[], from: readonly number[], to: readonly number[]): boolean {
  const big = (perm: readonly number[]) => perm.filter((axis) => shape[axis] !== 1);
  return samePerm(big(from), big(to));
}

/** Keras Permute dims (1-based, batch excluded) taking a tensor in layout `from` to layout `to`. */
export function permuteDims(from: readonly number[], to: readonly number[]): number[] {
  return to.slice(1).map((axis) => from.indexOf(axis));
}

export const describePerm = (perm: readonly number[]): string => `[${perm.join(', ')}]`;
