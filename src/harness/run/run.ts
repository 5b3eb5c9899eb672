import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../../errors.ts';
import { seededInputs, type Tensor } from '../../tensor/index.ts';
import type { TorchBridge } from '../../torch/index.ts';
import { encodeNpy } from '../../tensor/index.ts';
import { compareTensors, FP32_TOLERANCE } from '../compare/index.ts';
import type { OpenTarget, Target } from '../targets/index.ts';
import { MANIFEST_FILE, goldenNameOf, loadGolden, recordCommand, recordGolden, verifyGolden, type Golden } from '../golden/index.ts';
import type { CheckResult, ModelSummary, ResultRow } from './types.ts';

export interface ModelRunOptions {
  readonly goldenRoot: string;
  readonly ci: boolean;
  /** Needed to record a missing golden; null when torch is unavailable. */
  readonly bridge: TorchBridge | null;
  readonly targets: readonly Target[];
  readonly onProgress?: (message: string) => void;
}

export interface ModelRunResult {
  readonly summary: ModelSummary;
  readonly checks: CheckResult[];
  readonly rows: ResultRow[];
}

/**
 * Everything `torchport run` does for one fixture: make sure its golden exists (recording it when
 * allowed), check the golden's integrity and that seeded inputs still reproduce byte for byte,
 * then run every target on every seed and compare each output with the recorded reference.
 */
export async function runFixture(fixturePath: string, options: ModelRunOptions): Promise<ModelRunResult> {
  const model = goldenNameOf(fixturePath);
  const dir = join(options.goldenRoot, model);
  const summary = (recorded: boolean): ModelSummary => ({ model, fixture: fixturePath, golden: dir, recorded });
  const checks: CheckResult[] = [];
  const rows: ResultRow[] = [];

  let recorded = false;
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    const refusal = options.ci
      ? `golden ${model} is missing and goldens are not recorded under CI; record it locally with \`${recordCommand(fixturePath)}\` and commit golden/${model}/`
      : options.bridge
        ? null
        : `golden ${model} is missing and torch is unavailable to record it; install torch (npm run setup) and run \`${recordCommand(fixturePath)}\``;
    if (refusal) {
      checks.push({ model, check: 'golden', pass: false, problems: [refusal] });
      return { summary: summary(false), checks, rows };
    }
    options.onProgress?.(`${model}: recording golden`);
    try {
      await recordGolden(options.bridge!, fixturePath, { goldenRoot: options.goldenRoot, ci: options.ci });
      recorded = true;
    } catch (error) {
      checks.push({ model, check: 'golden', pass: false, problems: [`recording failed: ${describeError(error)}`] });
      return { summary: summary(false), checks, rows };
    }
  }

  const verification = await verifyGolden(dir);
  checks.push({ model, check: 'golden-integrity', pass: verification.ok, problems: verification.problems });
  if (!verification.ok) return { summary: summary(recorded), checks, rows };
  const golden = await loadGolden(dir);
  checks.push(await checkSeededInputs(golden));

  for (const target of options.targets) {
    rows.push(...(await runTarget(golden, target, options)));
  }
  return { summary: summary(recorded), checks, rows };
}

/** Regenerates each seed's inputs and compares them byte for byte with the recorded ones. */
async function checkSeededInputs(golden: Golden): Promise<CheckResult> {
  const { manifest } = golden;
  const problems: string[] = [];
  for (const seed of manifest.seeds) {
    const regenerated = seededInputs(manifest.inputs.map((spec) => spec.shape), manifest.inputDistribution, seed);
    const recorded = await golden.inputs(seed);
    regenerated.forEach((tensor, i) => {
      const a = encodeNpy(tensor);
      const b = encodeNpy(recorded[i]!);
      if (a.length !== b.length || a.some((byte, k) => byte !== b[k])) {
        problems.push(`seed ${seed}, ${manifest.inputs[i]!.name}: regenerated input differs from the recorded one (did the seeded generator change?)`);
      }
    });
  }
  return { model: manifest.name, check: 'seeded-inputs', pass: problems.length === 0, problems };
}

async function runTarget(golden: Golden, target: Target, options: ModelRunOptions): Promise<ResultRow[]> {
  const { manifest } = golden;
  const model = manifest.name;
  const tolerance = manifest.tolerance ?? FP32_TOLERANCE;
  const base = { model, target: target.name, tolerance };
  if (target.unavailable) return [{ ...base, seed: null, output: null, status: 'skip', pass: false, reason: target.unavailable }];
  options.onProgress?.(`${model}: ${target.name}`);
  let open: OpenTarget;
  try {
    open = await target.open(golden);
  } catch (error) {
    return [{ ...base, seed: null, output: null, status: 'error', pass: false, reason: describeError(error) }];
  }
  const rows: ResultRow[] = [];
  try {
    for (const seed of manifest.seeds) {
      let actual: Tensor[];
      try {
        actual = await open.run(await golden.inputs(seed));
      } catch (error) {
        rows.push({ ...base, seed, output: null, status: 'error', pass: false, reason: describeError(error) });
        continue;
      }
      const references = await golden.outputs(seed);
      if (actual.length !== references.length) {
        rows.push({ ...base, seed, output: null, status: 'fail', pass: false, reason: `produced ${actual.length} outputs, the reference has ${references.length}` });
        continue;
      }
      references.forEach((reference, i) => {
        const comparison = compareTensors(actual[i]!, reference, tolerance);
        const output = manifest.outputs[i]!.name;
        if (!('metrics' in comparison)) {
          rows.push({ ...base, seed, output, status: 'fail', pass: false, reason: comparison.reason });
          return;
        }
        const { metrics, verdict } = comparison;
        rows.push({
          ...base,
          seed,
          output,
          status: comparison.pass ? 'pass' : 'fail',
          pass: comparison.pass,
          ...(comparison.reason ? { reason: comparison.reason } : {}),
          maxAbsDiff: metrics.maxAbsDiff,
          maxRelDiff: metrics.maxRelDiff,
          meanAbsDiff: metrics.meanAbsDiff,
          rmse: metrics.rmse,
          cosineSimilarity: metrics.cosineSimilarity,
          maxAbsReference: metrics.maxAbsReference,
          neededAtol: verdict.neededAtol,
          ...(metrics.worst ? { worst: { index: metrics.worst.index, actual: metrics.worst.actual, reference: metrics.worst.reference } } : {}),
        });
      });
    }
  } finally {
    await open.close().catch(() => undefined);
  }
  return rows;
}
