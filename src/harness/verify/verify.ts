import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describeError } from '../../errors.ts';
import type { BridgeVersions, TorchBridge } from '../../torch/index.ts';
import { acceptLevels, goldenNameOf } from '../../golden/index.ts';
import { judgeRun, type RunReport } from '../judge/index.ts';
import { describeEnvironment, executeModel, type ExecuteOptions, type ModelRecord, type ModelSource, type RunRecord } from '../run/index.ts';
import { fixtureTolerance, resolveTolerance, type Suite } from '../suite/index.ts';
import { compareTensors } from '../compare/index.ts';
import { budgetAnswers, loadFloat64Outputs } from '../budget/index.ts';
import type { Target } from '../targets/index.ts';

export const RUN_RECORD_FILE = 'run.json';

export interface VerifyOptions {
  readonly suite: Suite;
  readonly targets: readonly Target[];
  readonly goldenRoot: string;
  /** The run's directory: run.json and output tensors go here (reports/<run id>). */
  readonly runDir: string;
  readonly runId: string;
  readonly ci: boolean;
  readonly bridge: TorchBridge | null;
  readonly torch: BridgeVersions | null;
  readonly torchUnavailable: string | null;
  readonly cwd: string;
  /** Accept this run's error levels into the goldens (drift ratchet baseline). Refused under CI. */
  readonly update?: boolean;
  readonly onProgress?: (message: string) => void;
}

/**
 * A whole parity run in two phases: execute every model on every target into a run record
 * (written as run.json with the outputs beside it), then judge the record against the goldens.
 */
export async function verifyModels(sources: readonly ModelSource[], options: VerifyOptions): Promise<{ record: RunRecord; report: RunReport }> {
  const startedAt = new Date();
  await mkdir(options.runDir, { recursive: true });
  const models: ModelRecord[] = [];
  const policies = new Map<string, unknown>();
  for (const source of sources) {
    models.push(
      await executeModelSafely(source, {
        goldenRoot: options.goldenRoot,
        ci: options.ci,
        bridge: options.bridge,
        targets: options.targets,
        runDir: options.runDir,
        ...(options.suite.seeds ? { seeds: options.suite.seeds } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        needsDiagnosis: async (golden, target, outputs, references, outputScales, seed) => {
          if (!policies.has(golden.fixturePath)) policies.set(golden.fixturePath, await fixtureTolerance(golden.fixturePath));
          const float64 = await loadFloat64Outputs(golden.dir, golden.manifest.float64, seed);
          return references.some((reference, i) => {
            const output = golden.manifest.outputs[i]?.name ?? `output_${i}`;
            const tolerance = resolveTolerance(options.suite, policies.get(golden.fixturePath), golden.manifest.name, target, output);
            const actual = outputs[i];
            return (
              !actual ||
              !compareTensors(actual, reference, tolerance, {
                outputScale: outputScales?.[i] ?? null,
                ...budgetAnswers(float64, golden.manifest, seed, output),
              }).pass
            );
          });
        },
      }),
    );
  }
  const record: RunRecord = {
    format: 'torchport-run',
    version: 1,
    runId: options.runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    suite: options.suite.name,
    environment: await describeEnvironment(options),
    models,
  };
  await writeFile(join(options.runDir, RUN_RECORD_FILE), `${JSON.stringify(record, null, 1)}\n`);
  let report = await judgeRun(record, options.runDir, options.suite);
  // The drift ratchet's baseline: every model with --update, and a golden this run recorded (its
  // first verification is its accepted level; nothing is recorded under CI).
  const accept = options.update ? report.models : report.models.filter((m) => m.recorded && !options.ci);
  if (accept.length > 0) {
    await acceptReport(
      report,
      accept.map((m) => m.model),
      options.ci,
    );
    report = await judgeRun(record, options.runDir, options.suite);
  }
  return { record, report };
}

/**
 * One model that cannot be run (a golden that cannot be read, a corrupt tensor file, a worker that
 * died) becomes a failed check of that model; the run goes on with the next one.
 */
async function executeModelSafely(source: ModelSource, options: ExecuteOptions): Promise<ModelRecord> {
  try {
    return await executeModel(source, options);
  } catch (error) {
    const fixture = 'fixture' in source ? source.fixture : null;
    const golden = 'golden' in source ? source.golden : join(source.goldenRoot ?? options.goldenRoot, goldenNameOf(source.fixture));
    const model = basename(golden);
    return { model, fixture, golden, recorded: false, checks: [{ model, check: 'golden', pass: false, problems: [`could not run: ${describeError(error)}`] }], targets: [] };
  }
}

/** Writes each model x target's worst error (and model size) into its golden as the accepted level. */
async function acceptReport(report: RunReport, models: readonly string[], ci: boolean): Promise<void> {
  for (const model of report.models.filter((m) => models.includes(m.model))) {
    const levels: Record<string, { maxAbsDiff: number; bytes?: number }> = {};
    for (const target of report.targets.filter((t) => t.model === model.model)) {
      if (target.maxAbsDiff === undefined) continue;
      levels[target.target] = { maxAbsDiff: target.maxAbsDiff, ...(target.structure ? { bytes: target.structure.bytes } : {}) };
    }
    if (Object.keys(levels).length > 0) await acceptLevels(model.golden, levels, ci);
  }
}
