// The registry of op families: every PyTorch call the builder converts, looked up by its captured
// name, and every custom Keras layer class the families build. Adding an op is adding it to one
// family module (./ops/<family>.ts) and, for a new family, one line in FAMILIES.
import { tf } from '../../runtimes/tfjs/index.ts';
import { KerasBuildError } from './errors.ts';
import type { CustomLayerClass, OpFamily, OpSpec } from './family.ts';
import * as activation from './ops/activation.ts';
import * as attention from './ops/attention.ts';
import * as casts from './ops/casts.ts';
import * as cells from './ops/cells.ts';
import * as composite from './ops/composite.ts';
import * as condition from './ops/condition.ts';
import * as conv from './ops/conv.ts';
import * as elementwise from './ops/elementwise.ts';
import * as linalg from './ops/linalg.ts';
import * as linear from './ops/linear.ts';
import * as math from './ops/math.ts';
import * as movement from './ops/movement.ts';
import * as norm from './ops/norm.ts';
import * as pad from './ops/pad.ts';
import * as pointwise from './ops/pointwise.ts';
import * as pool from './ops/pool.ts';
import * as prelu from './ops/prelu.ts';
import * as ranking from './ops/ranking.ts';
import * as recurrent from './ops/recurrent.ts';
import * as reduce from './ops/reduce.ts';
import * as reorder from './ops/reorder.ts';
import * as resize from './ops/resize.ts';
import * as shape from './ops/shape.ts';
import * as vector from './ops/vector.ts';

export const FAMILIES: readonly OpFamily[] = [
  conv.FAMILY,
  linear.FAMILY,
  norm.FAMILY,
  pool.FAMILY,
  activation.FAMILY,
  prelu.FAMILY,
  reduce.FAMILY,
  elementwise.FAMILY,
  math.FAMILY,
  linalg.FAMILY,
  vector.FAMILY,
  pointwise.FAMILY,
  condition.FAMILY,
  shape.FAMILY,
  reorder.FAMILY,
  pad.FAMILY,
  resize.FAMILY,
  attention.FAMILY,
  recurrent.FAMILY,
  cells.FAMILY,
  movement.FAMILY,
  casts.FAMILY,
  ranking.FAMILY,
  composite.FAMILY,
];

interface RegisteredOp extends OpSpec {
  /** The family that owns the op. */
  readonly family: string;
}

function indexOps(families: readonly OpFamily[]): ReadonlyMap<string, RegisteredOp> {
  const ops = new Map<string, RegisteredOp>();
  for (const family of families) {
    for (const [name, spec] of Object.entries(family.ops)) {
      const owner = ops.get(name);
      if (owner) throw new KerasBuildError(`op ${name} is claimed by two families: ${owner.family} and ${family.name}`);
      ops.set(name, { ...spec, family: family.name });
    }
  }
  return ops;
}

const OPS = indexOps(FAMILIES);

/** The conversion of a captured call (canonical name: F.relu, torch.cat, Tensor.view, Conv2d). */
export function findOp(name: string): RegisteredOp | undefined {
  return OPS.get(name);
}

/** Every custom layer class of every family, once each. */
function customLayerClasses(): CustomLayerClass[] {
  return [...new Set(FAMILIES.flatMap((family) => family.layers))];
}

let registered = false;

/**
 * Registers torchport's custom layers with tf.serialization, so tfjs can read models that use them;
 * returns their class names, sorted.
 */
export function registerCustomLayers(): string[] {
  const classes = customLayerClasses();
  if (!registered) for (const layer of classes) tf.serialization.registerClass(layer);
  registered = true;
  return classes.map((layer) => layer.className).sort();
}
