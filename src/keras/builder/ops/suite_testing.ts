// For the op-family tests: `torchport verify` of operator-suite fixtures against real torch (one
// verify call: one torch worker), on keras and every float TFLite variant.
import { parseCapturedGraph } from '../../../torch/index.ts';
import { buildKerasModel } from '../index.ts';
import { FLOAT_TARGETS, verifyOpCaseFiles } from './suite_cases.testing.ts';

export interface SuiteVerification {
  readonly code: number;
  /** "<case> on <target>" for every case and target with a failing row. */
  readonly failing: readonly string[];
  /** "<case> on <target>" for every case and target that has no row at all. */
  readonly missing: readonly string[];
}

/** Verifies `suites/ops/<family>/<prefix><name>.py` for each name with the suite's tolerances. */
export async function verifySuiteCases(family: string, prefix: string, names: readonly string[]): Promise<SuiteVerification> {
  const { code, rows } = await verifyOpCaseFiles(family, prefix, names, FLOAT_TARGETS);
  const failing = [...new Set(rows.filter((row) => row.status !== 'pass').map((row) => `${row.model} on ${row.target}`))];
  const missing = names.flatMap((name) =>
    FLOAT_TARGETS.filter((target) => !rows.some((row) => row.model === `${prefix}${name}` && row.target === target)).map((target) => `${prefix}${name} on ${target}`),
  );
  return { code, failing, missing };
}

/** Builds a one-node graph (node 'block.op' in module 'block', input and output of `shape`); throws what the builder throws. */
export function buildOneOp(op: string, args: unknown[], kwargs: Record<string, unknown> = {}, shape: readonly number[] = [2, 3, 4]): () => void {
  const graph = {
    format: 'torchport-graph',
    version: 1,
    inputs: [{ name: 'input_0', value: 'v0' }],
    outputs: [{ name: 'output_0', value: 'v1' }],
    values: { v0: { shape, dtype: 'float32' }, v1: { shape, dtype: 'float32' } },
    modules: { '': { type: 'Net', class: 'user.Net', leaf: false, attributes: {}, parameters: [], buffers: [] } },
    nodes: [{ name: 'block.op', kind: 'function', op, scope: 'block', args, kwargs, outputs: ['v1'], structure: 'tensor' }],
    constants: {},
  };
  return () => buildKerasModel(parseCapturedGraph(JSON.stringify(graph), 'synthetic graph'), { weights: new Map(), constants: new Map() });
}
