import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeError } from '../../errors.ts';
import { encodeNpy, seededInputs, type Tensor } from '../../tensor/index.ts';
import type { TorchBridge } from '../../torch/index.ts';
import { MANIFEST_FILE, goldenNameOf, loadGolden, recordCommand, recordGolden, verifyGolden, type Golden } from '../../golden/index.ts';
import { fixtureTolerance } from '../suite/index.ts';
import { TargetUnavailableError, type OpenTarget, type Target } from '../targets/index.ts';
import type { CheckResult, ModelRecord, SeedRecord, TargetRecord } from './record.ts';

/**
 * A model to run: a fixture (its golden is recorded if missing and allowed, under `goldenRoot` when
 * given, else the run's golden root) or an existing golden directory.
 */
export type ModelSource = { readonly fixture: string; readonly goldenRoot?: string } | { readonly golden: string };

export interface ExecuteOptions {
  readonly goldenRoot: string;
  readonly ci: boolean;
  /** Needed to record a missing golden; null when torch is unavailable. */
  readonly bridge: TorchBridge | null;
  readonly targets: readonly Target[];
  /** Where output tensors are written (the run directory); paths in the record are relative to it. */
  readonly runDir: string;
  /**
   * Whether a target's first-seed outputs fail their reference, so its per-layer diagnosis (often a
   * second conversion) is worth running. Without it, targets are never diagnosed.
   */
  readonly needsDiagnosis?: (
    golden: Golden,
    target: string,
    outputs: readonly Tensor[],
    references: readonly Tensor[],
    outputScales: ReadonlyArray<number | null> | undefined,
    seed: number,
  ) => boolean | Promise<boolean>;
  /** Restrict to these seeds (default: every seed of the golden). */
  readonly seeds?: readonly number[];
  readonly onProgress?: (message: string) => void;
}

/**
 * Everything a run does for one model before judging: make sure its golden exists (recording it
 * when allowed), check the golden's integrity and that seeded inputs still reproduce byte for
 * byte, then run every target on every seed and keep the outputs.
 */
export async function executeModel(source: ModelSource, options: ExecuteOptions): Promise<ModelRecord> {
  const fixture = 'fixture' in source ? source.fixture : null;
  const goldenRoot = ('fixture' in source ? source.goldenRoot : undefined) ?? options.goldenRoot;
  const dir = 'golden' in source ? source.golden : join(goldenRoot, goldenNameOf(source.fixture));
  const model = 'fixture' in source ? goldenNameOf(source.fixture) : dir.split('/').pop()!;
  const checks: CheckResult[] = [];
  const record = (recorded: boolean, targets: TargetRecord[] = []): ModelRecord => ({ model, fixture, golden: dir, recorded, checks, targets });

  let recorded = false;
  if (!existsSync(join(dir, MANIFEST_FILE))) {
    const refusal =
      fixture === null
        ? `no golden at ${dir}`
        : options.ci
          ? `golden ${model} is missing and goldens are not recorded under CI; record it locally with \`${recordCommand(fixture)}\` and commit golden/${model}/`
          : options.bridge
            ? null
            : `golden ${model} is missing and torch is unavailable to record it; install torch (npm run setup) and run \`${recordCommand(fixture)}\``;
    if (refusal) {
      checks.push({ model, check: 'golden', pass: false, problems: [refusal] });
      return record(false);
    }
    options.onProgress?.(`${model}: recording golden`);
    try {
      await fixtureTolerance(fixture!); // a TOLERANCE typo fails before anything is written
      await recordGolden(options.bridge!, fixture!, { goldenRoot, ci: options.ci });
      recorded = true;
    } catch (error) {
      checks.push({ model, check: 'golden', pass: false, problems: [`recording failed: ${describeError(error)}`] });
      return record(false);
    }
  }

  const verification = await verifyGolden(dir);
  checks.push({ model, check: 'golden-integrity', pass: verification.ok, problems: verification.problems });
  if (!verification.ok) return record(recorded);
  const golden = await loadGolden(dir);
  checks.push(await checkSeededInputs(golden));
  const seeds = options.seeds ? golden.manifest.seeds.filter((s) => options.seeds!.includes(s)) : golden.manifest.seeds;
  const unrecorded = (options.seeds ?? []).filter((s) => !golden.manifest.seeds.includes(s));
  if (unrecorded.length > 0) {
    checks.push({
      model,
      check: 'seeds',
      pass: false,
      problems: [`seed(s) ${unrecorded.join(', ')} requested but not recorded in golden ${model} (recorded: ${golden.manifest.seeds.join(', ')}); a seed that was not checked is not a pass`],
    });
  }

  const targets: TargetRecord[] = [];
  for (const target of options.targets) targets.push(await runTarget(golden, target, seeds, options));
  return record(recorded, targets);
}

/** Regenerates each seed's inputs and compares them byte for byte with the recorded ones. */
async function checkSeededInputs(golden: Golden): Promise<CheckResult> {
  const { manifest } = golden;
  const problems: string[] = [];
  for (const seed of manifest.seeds) {
    const regenerated = seededInputs(
      manifest.inputs.map((spec) => spec.shape),
      manifest.inputDistribution,
      seed,
    );
    const recorded = await golden.inputs(seed);
    regenerated.forEach((tensor, i) => {
      if (!sameBytes(encodeNpy(tensor), encodeNpy(recorded[i]!))) {
        problems.push(`seed ${seed}, ${manifest.inputs[i]!.name}: regenerated input differs from the recorded one (did the seeded generator change?)`);
      }
    });
  }
  return { model: manifest.name, check: 'seeded-inputs', pass: problems.length === 0, problems };
}

async function runTarget(golden: Golden, target: Target, seeds: readonly number[], options: ExecuteOptions): Promise<TargetRecord> {
  const model = golden.manifest.name;
  if (target.unavailable) return { target: target.name, skipped: target.unavailable, seeds: [] };
  options.onProgress?.(`${model}: ${target.name}`);
  let open: OpenTarget;
  try {
    open = await target.open(golden);
  } catch (error) {
    if (error instanceof TargetUnavailableError) return { target: target.name, skipped: error.message, seeds: [] };
    return { target: target.name, error: describeError(error), seeds: [] };
  }
  const seedRecords: SeedRecord[] = [];
  let nondeterministic: TargetRecord['nondeterministic'];
  let divergence: TargetRecord['divergence'];
  try {
    for (const seed of seeds) {
      const inputs = await golden.inputs(seed);
      let outputs: Tensor[];
      const started = performance.now();
      try {
        outputs = await open.run(inputs);
      } catch (error) {
        seedRecords.push({ seed, error: describeError(error) });
        continue;
      }
      const milliseconds = performance.now() - started;
      if (seed === seeds[0]) nondeterministic = await checkRepeatable(open, inputs, outputs, seed);
      // Diagnosed once, at the first seed that fails (judged with the output's quantization scale, as
      // the verdict will be: a quant-steps rule must not fall back to its relative bound here).
      if (!divergence && open.diagnose && (await options.needsDiagnosis?.(golden, target.name, outputs, await golden.outputs(seed), open.outputScales, seed))) {
        divergence = await open.diagnose().catch(() => undefined);
      }
      const names = golden.manifest.outputs.map((spec, i) => spec.name ?? `output_${i}`);
      const files = [];
      for (const [i, tensor] of outputs.entries()) {
        const name = names[i] ?? `output_${i}`;
        const file = join('outputs', model, target.name, `seed-${seed}`, `${name}.npy`);
        await mkdir(dirname(join(options.runDir, file)), { recursive: true });
        await writeFile(join(options.runDir, file), encodeNpy(tensor));
        files.push({ name, file });
      }
      seedRecords.push({ seed, outputs: files, milliseconds });
    }
  } finally {
    await open.close().catch(() => undefined);
  }
  return {
    target: target.name,
    info: open.info,
    seeds: seedRecords,
    ...(open.outputScales ? { outputScales: open.outputScales } : {}),
    ...(open.structure ? { structure: open.structure } : {}),
    ...(nondeterministic ? { nondeterministic } : {}),
    ...(divergence ? { divergence } : {}),
  };
}

/** Runs the same inputs again: a target whose outputs change between identical runs is flagged, not judged as a mismatch. */
async function checkRepeatable(open: OpenTarget, inputs: Tensor[], first: Tensor[], seed: number): Promise<TargetRecord['nondeterministic']> {
  let second: Tensor[];
  try {
    second = await open.run(inputs);
  } catch {
    return undefined; // the failure itself is reported by the seed rows
  }
  let maxAbsDiff = 0;
  let differs = false;
  first.forEach((tensor, i) => {
    const other = second[i];
    if (!other || !sameBytes(encodeNpy(tensor), encodeNpy(other))) differs = true;
    if (other && other.size === tensor.size) {
      const a = tensor.toFloat32().data;
      const b = other.toFloat32().data;
      for (let k = 0; k < a.length; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[k]! - b[k]!));
    }
  });
  return differs ? { seed, maxAbsDiff } : undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
