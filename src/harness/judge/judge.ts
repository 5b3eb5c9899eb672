import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeNpy, type Tensor } from '../../tensor/index.ts';
import { describeError } from '../../errors.ts';
import { budgetAnswers, float64Column, loadFloat64Outputs } from '../budget/index.ts';
import { FP32_TOLERANCE, compareTensors, type Tolerance } from '../compare/index.ts';
import { loadGolden, type Golden } from '../../golden/index.ts';
import type { ModelRecord, RunRecord, TargetRecord } from '../run/index.ts';
import { fixtureTolerance, resolveTolerance, skipAllowance, type Suite } from '../suite/index.ts';
import type { JudgedCheck, ResultRow, RunReport, TargetSummary } from './report.ts';

/**
 * The second phase of a run: every recorded output against the golden's PyTorch reference under
 * the suite's tolerances, plus the ratchet, structural and nondeterminism checks. Reads only the
 * run record, its output files and the goldens, so a report can be re-judged with other
 * tolerances without running anything again.
 */
export async function judgeRun(record: RunRecord, runDir: string, suite: Suite): Promise<RunReport> {
  const results: ResultRow[] = [];
  const checks: JudgedCheck[] = [];
  const targets: TargetSummary[] = [];
  for (const model of record.models) {
    checks.push(...model.checks);
    if (model.targets.length === 0) continue;
    let golden: Golden;
    let policy: unknown;
    try {
      golden = await loadGolden(model.golden);
      policy = await fixtureTolerance(golden.fixturePath);
    } catch (error) {
      checks.push({ model: model.model, check: 'golden', pass: false, problems: [`cannot judge: ${describeError(error)}`] });
      continue;
    }
    for (const target of model.targets) {
      const rows = await judgeTarget(golden, policy, model, target, runDir, suite).catch((error: unknown): ResultRow[] => [
        {
          model: model.model,
          target: target.target,
          seed: null,
          output: null,
          status: 'error',
          pass: false,
          reason: `cannot judge: ${describeError(error)}`,
          rule: 'allclose',
          tolerance: FP32_TOLERANCE,
        },
      ]);
      results.push(...rows);
      targets.push(summarizeTarget(model.model, target, rows));
      checks.push(...structureChecks(golden, model.model, target, suite));
      // The torch target re-runs PyTorch: under another torch version than the one that recorded the
      // golden (and accepted its level of 0) its error is that version's rounding, not drift.
      const otherTorch = target.target === 'torch' && record.environment.torch !== null && record.environment.torch !== golden.manifest.torch.version;
      const ratchet = otherTorch ? null : ratchetCheck(golden, model.model, target.target, rows, suite);
      if (ratchet) checks.push(ratchet);
    }
  }
  return {
    format: 'torchport-report',
    version: 1,
    runId: record.runId,
    suite: suite.name,
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
    environment: record.environment,
    summary: summarize(results, checks),
    models: record.models.map(({ model, fixture, golden, recorded }) => ({ model, fixture, golden, recorded })),
    targets,
    checks,
    results,
  };
}

/** `policy` is the fixture's TOLERANCE (read from the fixture, never from the golden's manifest). */
async function judgeTarget(golden: Golden, policy: unknown, model: ModelRecord, target: TargetRecord, runDir: string, suite: Suite): Promise<ResultRow[]> {
  const toleranceOf = (output: string): Tolerance => resolveTolerance(suite, policy, model.model, target.target, output);
  const base = { model: model.model, target: target.target };
  const whole = (status: ResultRow['status'], reason: string): ResultRow[] => [
    { ...base, seed: null, output: null, status, pass: false, reason, rule: toleranceOf('output_0').rule, tolerance: toleranceOf('output_0') },
  ];
  if (target.skipped) {
    const allowed = skipAllowance(suite, model.model, target.target);
    return [{ ...whole('skip', target.skipped)[0]!, ...(allowed ? { skipAllowed: allowed } : {}) }];
  }
  if (target.error) return whole('error', target.error);
  const rows: ResultRow[] = [];
  for (const seed of target.seeds) {
    if (seed.error || !seed.outputs) {
      rows.push({ ...whole('error', seed.error ?? 'no outputs recorded')[0]!, seed: seed.seed });
      continue;
    }
    const references = await golden.outputs(seed.seed);
    const float64 = await loadFloat64Outputs(golden.dir, golden.manifest.float64, seed.seed);
    if (seed.outputs.length !== references.length) {
      rows.push({ ...whole('fail', `produced ${seed.outputs.length} outputs, the reference has ${references.length}`)[0]!, seed: seed.seed });
      continue;
    }
    for (const [i, reference] of references.entries()) {
      const { name, file } = seed.outputs[i]!;
      const actual = decodeNpy(await readFile(join(runDir, file)), join(runDir, file));
      const tolerance = toleranceOf(name);
      const comparison = compareTensors(actual, reference, tolerance, {
        outputScale: target.outputScales?.[i] ?? null,
        ...budgetAnswers(float64, golden.manifest, seed.seed, name),
      });
      const row = { ...base, seed: seed.seed, output: name, rule: tolerance.rule, tolerance };
      if (!('metrics' in comparison)) {
        rows.push({ ...row, status: 'fail', pass: false, reason: comparison.reason });
        continue;
      }
      const { metrics } = comparison;
      const column = float64Column(actual, reference, float64, name);
      const flaky = !comparison.pass && target.nondeterministic;
      rows.push({
        ...row,
        status: comparison.pass ? 'pass' : flaky ? 'nondeterministic' : 'fail',
        pass: comparison.pass,
        ...(comparison.reason
          ? { reason: flaky ? `outputs differ between two identical runs (by up to ${target.nondeterministic!.maxAbsDiff.toExponential(2)}); ${comparison.reason}` : comparison.reason }
          : {}),
        needed: comparison.needed,
        maxAbsDiff: metrics.maxAbsDiff,
        relError: relativeError(metrics.maxAbsDiff, metrics.maxAbsReference),
        maxRelDiff: metrics.maxRelDiff,
        meanAbsDiff: metrics.meanAbsDiff,
        meanDiff: metrics.meanDiff,
        rmse: metrics.rmse,
        cosineSimilarity: metrics.cosineSimilarity,
        maxAbsReference: metrics.maxAbsReference,
        ...(metrics.worst ? { worst: { index: metrics.worst.index, actual: metrics.worst.actual, reference: metrics.worst.reference } } : {}),
        ...topOneAgreement(actual, reference),
        ...(column ? { float64: column } : {}),
      });
    }
  }
  return rows;
}

/**
 * Counts rows by status. The run is green only when something was checked and nothing went wrong:
 * no row failed, errored or was nondeterministic, every check passed, every skipped row was allowed
 * (by the suite or the caller's --allow-skip) and at least one row was judged.
 */
export function summarize(results: readonly ResultRow[], checks: readonly JudgedCheck[]): RunReport['summary'] {
  const count = (status: ResultRow['status']): number => results.filter((r) => r.status === status).length;
  const checksFailed = checks.filter((c) => !c.pass).length;
  const skips = results.filter((r) => r.status === 'skip');
  const unallowed = skips.filter((r) => r.skipAllowed === undefined);
  const judged = count('pass') + count('fail') + count('nondeterministic');
  const notGreen: string[] = [];
  if (unallowed.length > 0) {
    const targets = [...new Set(unallowed.map((r) => r.target))];
    const why = [...new Set(unallowed.map((r) => `${r.model} ${r.target}: ${(r.reason ?? '').split('\n')[0]}`))];
    notGreen.push(
      `${unallowed.length} row(s) skipped without permission (${why.join('; ')}); a requested target that did not run is not a pass: ` +
        `make it run, or allow the skip deliberately with --allow-skip ${targets.join(',')} (or "allowSkip" in the suite)`,
    );
  }
  if (judged === 0) notGreen.push('no row was judged: nothing was compared against the PyTorch reference, so nothing was checked');
  const failing = count('fail') + count('error') + count('nondeterministic') + checksFailed;
  const allowedReasons = [...new Set(skips.filter((r) => r.skipAllowed !== undefined).map((r) => `${r.target}: ${r.skipAllowed}`))];
  return {
    rows: results.length,
    judged,
    passed: count('pass'),
    failed: count('fail'),
    errors: count('error'),
    skipped: skips.length,
    skippedAllowed: skips.length - unallowed.length,
    ...(allowedReasons.length ? { skipReasons: allowedReasons } : {}),
    nondeterministic: count('nondeterministic'),
    checksFailed,
    notGreen,
    pass: failing === 0 && notGreen.length === 0,
  };
}

/** max|diff| / max|reference|; 0 when both are 0, Infinity for a difference against an all-zero reference. */
export function relativeError(maxAbsDiff: number, maxAbsReference: number): number {
  if (maxAbsReference > 0) return maxAbsDiff / maxAbsReference;
  return maxAbsDiff === 0 ? 0 : Infinity;
}

/** For classifier-shaped outputs ([batch, classes]): whether each row's argmax agrees with PyTorch's. */
function topOneAgreement(actual: Tensor, reference: Tensor): { top1Agreement?: number } {
  if (reference.rank !== 2 || reference.shape[1]! < 2 || actual.size !== reference.size) return {};
  const [rows, classes] = reference.shape as [number, number];
  const a = actual.toFloat32().data;
  const r = reference.toFloat32().data;
  let agree = 0;
  for (let row = 0; row < rows; row++) {
    let bestA = 0;
    let bestR = 0;
    for (let c = 1; c < classes; c++) {
      if (a[row * classes + c]! > a[row * classes + bestA]!) bestA = c;
      if (r[row * classes + c]! > r[row * classes + bestR]!) bestR = c;
    }
    if (bestA === bestR) agree++;
  }
  return { top1Agreement: agree / rows };
}

function worstOf(rows: readonly ResultRow[]): number | undefined {
  return rows.reduce<number | undefined>((max, r) => (r.maxAbsDiff === undefined ? max : Math.max(max ?? 0, r.maxAbsDiff)), undefined);
}

function summarizeTarget(model: string, target: TargetRecord, rows: readonly ResultRow[]): TargetSummary {
  const times = target.seeds.map((s) => s.milliseconds).filter((ms): ms is number => ms !== undefined);
  const worst = worstOf(rows);
  return {
    model,
    target: target.target,
    ...(target.info ? { info: target.info } : {}),
    ...(target.structure ? { structure: target.structure } : {}),
    ...(worst !== undefined ? { maxAbsDiff: worst } : {}),
    ...(times.length ? { firstRunMs: times[0]! } : {}),
    ...(target.nondeterministic ? { nondeterministic: target.nondeterministic } : {}),
    // Named only for a target that failed: that is when "where did it go wrong" is the question.
    ...(target.divergence && rows.some((r) => r.status === 'fail') ? { divergence: target.divergence } : {}),
  };
}

/** Drift ratchet: the worst error may grow to factor x max(accepted, floor) before failing, even under tolerance. */
function ratchetCheck(golden: Golden, model: string, target: string, rows: readonly ResultRow[], suite: Suite): JudgedCheck | null {
  const accepted = golden.manifest.accepted[target];
  const worst = worstOf(rows);
  if (!accepted || worst === undefined) return null;
  const limit = suite.ratchet.factor * Math.max(accepted.maxAbsDiff, suite.ratchet.floor);
  const pass = worst <= limit;
  return {
    model,
    target,
    check: 'ratchet',
    pass,
    problems: pass
      ? []
      : [
          `max|diff| grew to ${worst.toExponential(3)}, past ${suite.ratchet.factor} x the accepted ${accepted.maxAbsDiff.toExponential(3)} (accepted ${accepted.acceptedAt.slice(0, 10)}); ` +
            'if the new level is intended, accept it with `torchport verify --update` and commit the golden manifest',
        ],
  };
}

function structureChecks(golden: Golden, model: string, target: TargetRecord, suite: Suite): JudgedCheck[] {
  const structure = target.structure;
  if (!structure) return [];
  const problems: string[] = [];
  const transposes = structure.ops['TRANSPOSE'] ?? 0;
  const allowance = suite.structure.fixtures[model];
  const maxTranspose = allowance?.maxTranspose ?? suite.structure.maxTranspose;
  if (maxTranspose !== null && transposes > maxTranspose) {
    problems.push(
      `${transposes} TRANSPOSE ops (the suite allows ${maxTranspose}${allowance ? `: ${allowance.reason}` : ''}); ` +
        `if the model needs them, set structure.fixtures.${model}.maxTranspose (with a reason) in the suite`,
    );
  }
  if (!suite.structure.allowCustomOps && structure.customOps.length > 0) {
    problems.push(`custom/Flex ops ${structure.customOps.join(', ')} (the suite allows none: structure.allowCustomOps is false)`);
  }
  // A zero point or scale that breaks an operator's int8 rule offsets every value by whole
  // quantization steps, which the output error alone cannot tell from rounding.
  for (const problem of structure.int8Parameters ?? []) problems.push(`int8 parameters: ${problem}`);
  const acceptedBytes = golden.manifest.accepted[target.target]?.bytes;
  if (suite.structure.maxSizeGrowth !== null && acceptedBytes) {
    const growth = structure.bytes / acceptedBytes - 1;
    if (growth > suite.structure.maxSizeGrowth) {
      problems.push(
        `model is ${structure.bytes} bytes, ${(growth * 100).toFixed(1)}% larger than the accepted ${acceptedBytes} ` +
          `(limit ${(suite.structure.maxSizeGrowth * 100).toFixed(1)}%: the suite's structure.maxSizeGrowth; if the growth is intended, accept it with \`torchport verify --update\`)`,
      );
    }
  }
  return [{ model, target: target.target, check: 'structure', pass: problems.length === 0, problems }];
}
