// `torchport bench` for a set of goldens: per model, every target (and the PyTorch reference)
// timed interleaved with the calibration kernel on the golden's first seed; then the table, the
// target-vs-target ratios and, against a stored baseline, the regression gate. Engines are only
// reached through the `Target` interface, so whatever targets are registered can be benchmarked.
import { describeError } from '../errors.ts';
import { TargetUnavailableError, loadGolden, type Golden, type LatencyEntry, type LatencyRatio, type LatencySection, type Target } from '../harness/index.ts';
import type { RunnerInfo } from '../runtimes/index.ts';
import type { Tensor } from '../tensor/index.ts';
import { findBaselineEntry, type Baseline, type BaselineEntry } from './baseline.ts';
import { CALIBRATION_KERNEL, runCalibrationKernel } from './calibration.ts';
import { measureInterleaved, type MeasurePlan, type Measurement, type Workload } from './measure.ts';
import type { ReferenceTimer } from './reference.ts';
import { withSlowdown, type SlowdownPlan } from './slowdown.ts';
import { median, summarize } from './summary.ts';
import { compareSamples, type GateOptions } from './verdict.ts';

export interface BenchOptions {
  readonly targets: readonly Target[];
  /** The PyTorch reference, timed in the bridge (context, never gated); null to leave it out. */
  readonly reference: ReferenceTimer | null;
  readonly plan: MeasurePlan;
  readonly gate: GateOptions & { readonly alpha: number; readonly confidence: number };
  /** Test-only planted slowdowns by target (see slowdown.ts). */
  readonly slowdown: SlowdownPlan;
  readonly baseline: { readonly baseline: Baseline; readonly path: string } | null;
  /**
   * The previous build's models (`--against DIR`): per golden, targets that open its artifacts.
   * Each is timed interleaved with the current target of the same name, in this process, and the
   * current one is gated on the ratio of their raw timings (no calibration needed: same rounds).
   */
  readonly against?: { readonly path: string; targets(golden: Golden): readonly Target[] } | null;
  /** Ratios are taken against this target when it ran on the model, else against the first that did. */
  readonly ratioReference?: string;
  readonly onProgress?: (message: string) => void;
}

export interface BenchResult {
  readonly latency: LatencySection;
  /** What `--save-baseline` writes: normalised samples per model x target. */
  readonly baselineEntries: readonly BaselineEntry[];
  readonly calibrationMs: number;
  readonly models: ReadonlyArray<{ readonly model: string; readonly golden: string; readonly fixture: string }>;
}

const CALIBRATION = '(calibration)';
/** Suffix of the entries timing the previous build's models (`--against`). */
export const AGAINST_SUFFIX = '@against';

/** Written by every timed run, so reading the outputs back cannot be optimised away. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- written, never read: a sink the optimiser cannot drop
let sink = 0;

/** Touches every output tensor's data inside the timed region. */
function readBack(outputs: readonly Tensor[]): void {
  for (const tensor of outputs) {
    const data = tensor.data;
    if (data.length > 0) sink += Number(data[0]) + Number(data[data.length - 1]);
  }
}

interface Opened {
  readonly target: string;
  /** For a previous build's model: the current target it is compared with. */
  readonly against?: string;
  readonly info: RunnerInfo;
  readonly timedIn: 'node' | 'bridge';
  readonly workload: Workload;
  close(): Promise<void>;
}

export async function benchModels(goldenDirs: readonly string[], options: BenchOptions): Promise<BenchResult> {
  const entries: LatencyEntry[] = [];
  const ratios: LatencyRatio[] = [];
  const baselineEntries: BaselineEntry[] = [];
  const calibrationSamples: number[] = [];
  const models: BenchResult['models'][number][] = [];
  for (const dir of goldenDirs) {
    const golden = await loadGolden(dir);
    const model = golden.manifest.name;
    models.push({ model, golden: dir, fixture: golden.fixturePath });
    const inputs = await golden.inputs(golden.manifest.seeds[0]!);
    const opened: Opened[] = [];
    let decoy: { close(): Promise<void> } | undefined;
    const skip = (target: string, timedIn: Opened['timedIn'], status: 'skip' | 'error', reason: string): void => {
      entries.push({ model, target, status, reason, timedIn });
    };
    try {
      // A copy of the first target's model, opened first and never timed: in LiteRT the first model
      // opened after the previous golden's were freed ran up to 20% slower than later copies of
      // the same bytes (unet_decoder: 0.162 vs 0.136-0.140 ms), which would read as that target
      // being slower than whatever it is compared with (--against, fp16 vs fp32).
      const decoyTarget = options.targets.find((t) => !t.unavailable);
      decoy = decoyTarget ? await decoyTarget.open(golden).catch(() => undefined) : undefined;
      for (const target of options.targets) {
        if (target.unavailable) {
          skip(target.name, 'node', 'skip', target.unavailable);
          continue;
        }
        options.onProgress?.(`${model}: opening ${target.name}`);
        try {
          const open = await target.open(golden);
          if (open.selfTimed) {
            // Timed inside the engine's own process; `timedIn` 'bridge': not gated, like the PyTorch reference.
            const timed = await open.selfTimed(inputs).finally(() => open.close());
            for (const t of timed) {
              opened.push({ target: t.name, info: t.info, timedIn: 'bridge', workload: { name: t.name, kind: 'self-timed', warmUp: t.warmUp, measure: t.measure }, close: t.close });
            }
            continue;
          }
          let run = async (): Promise<void> => readBack(await open.run(inputs));
          const fraction = options.slowdown.get(target.name);
          if (fraction) run = withSlowdown(run, fraction);
          opened.push({ target: target.name, info: open.info, timedIn: 'node', workload: { name: target.name, kind: 'timed', run }, close: () => open.close() });
        } catch (error) {
          skip(target.name, 'node', error instanceof TargetUnavailableError ? 'skip' : 'error', describeError(error));
        }
      }
      const currentNames = new Set(opened.map((o) => o.target));
      for (const target of options.against?.targets(golden).filter((t) => currentNames.has(t.name)) ?? []) {
        const name = `${target.name}${AGAINST_SUFFIX}`;
        options.onProgress?.(`${model}: opening ${name}`);
        try {
          const open = await target.open(golden);
          const run = async (): Promise<void> => readBack(await open.run(inputs));
          opened.push({ target: name, against: target.name, info: open.info, timedIn: 'node', workload: { name, kind: 'timed', run }, close: () => open.close() });
        } catch (error) {
          skip(name, 'node', error instanceof TargetUnavailableError ? 'skip' : 'error', describeError(error));
        }
      }
      const reference = options.reference;
      if (reference?.unavailable) skip(reference.name, 'bridge', 'skip', reference.unavailable);
      else if (reference) {
        try {
          const open = await reference.open(golden, inputs);
          opened.push({ target: reference.name, info: open.info, timedIn: 'bridge', workload: open.workload, close: () => open.close() });
        } catch (error) {
          skip(reference.name, 'bridge', 'error', describeError(error));
        }
      }
      if (opened.length === 0) continue;
      const calibration: Workload = {
        name: CALIBRATION,
        kind: 'timed',
        run: async () => {
          sink += runCalibrationKernel();
        },
      };
      const measurements = await measureInterleaved([...opened.map((o) => o.workload), calibration], options.plan, (round) =>
        options.onProgress?.(`${model}: round ${round + 1}/${options.plan.rounds} (${opened.map((o) => o.target).join(', ')}, calibration)`),
      );
      const calibrationRun = measurements.at(-1)!;
      if (calibrationRun.error) throw new Error(`the calibration kernel failed: ${calibrationRun.error}`);
      calibrationSamples.push(...calibrationRun.rounds.flat());
      // Each round's timings are divided by the calibration median of the same round: load that
      // comes and goes during the run is divided out where it happened.
      const roundScale = calibrationRun.rounds.map((samples) => median([...samples]));
      const measured = opened.map((o, i) => ({ opened: o, measurement: measurements[i]! }));
      const ok: Array<{ target: string; timedIn: Opened['timedIn']; samples: number[] }> = [];
      const previous = new Map(measured.filter((m) => m.opened.against && !m.measurement.error).map((m) => [m.opened.against!, m.measurement.rounds.flat()]));
      for (const { opened: o, measurement } of measured) {
        const entry = describeMeasurement(model, o, measurement, roundScale, options, previous.get(o.target));
        entries.push(entry.entry);
        if (o.against) continue;
        if (entry.normalised) baselineEntries.push({ model, target: o.target, p50Ms: entry.entry.stats!.p50, samples: entry.normalised });
        if (entry.entry.status === 'ok') ok.push({ target: o.target, timedIn: o.timedIn, samples: measurement.rounds.flat() });
      }
      const pairs = targetRatios(model, ok, options);
      // A variant check that is already a ratio row (fp32 is the ratio reference) is not repeated.
      ratios.push(...pairs, ...variantChecks(model, ok, options).filter((c) => !pairs.some((r) => r.target === c.target && r.reference === c.reference)));
    } finally {
      for (const o of opened) await o.close().catch(() => undefined);
      await decoy?.close().catch(() => undefined);
    }
  }
  const calibrationMs = calibrationSamples.length ? median(calibrationSamples) : 0;
  return { latency: section(entries, ratios, calibrationMs, options), baselineEntries, calibrationMs, models };
}

function describeMeasurement(
  model: string,
  opened: Opened,
  measurement: Measurement,
  roundScale: readonly number[],
  options: BenchOptions,
  /** Raw timings of the previous build's model, from the same rounds (`--against`). */
  previous?: readonly number[],
): { entry: LatencyEntry; normalised?: number[] } {
  const base = { model, target: opened.target, info: opened.info, timedIn: opened.timedIn, warmupRuns: measurement.warmupRuns };
  if (measurement.error) return { entry: { ...base, status: 'error', reason: measurement.error } };
  const samples = measurement.rounds.flat();
  const normalised = measurement.rounds.flatMap((round, r) => round.map((x) => x / roundScale[r]!));
  const stats = summarize(samples);
  const stored = options.baseline && opened.timedIn === 'node' ? findBaselineEntry(options.baseline.baseline, model, opened.target) : undefined;
  const gate = previous
    ? { ...compareSamples(samples, previous, options.gate), baselineP50Ms: median([...previous]) }
    : stored
      ? { ...compareSamples(normalised, stored.samples, options.gate), baselineP50Ms: stored.p50Ms }
      : undefined;
  return { entry: { ...base, status: 'ok', stats, normalisedP50: median(normalised), ...(gate ? { gate } : {}) }, normalised };
}

/** Every other target against the ratio reference, on raw timings from the same interleaved rounds. */
function targetRatios(model: string, ok: ReadonlyArray<{ target: string; timedIn: string; samples: number[] }>, options: BenchOptions): LatencyRatio[] {
  const reference = ok.find((o) => o.target === options.ratioReference) ?? ok.find((o) => o.timedIn === 'node') ?? ok[0];
  if (!reference) return [];
  return ok.filter((o) => o !== reference).map((o) => ({ model, target: o.target, reference: reference.target, comparison: compareSamples(o.samples, reference.samples, options.gate) }));
}

/**
 * A variant that must not be slower than another beyond noise (the same gate as a regression):
 * fp16 stores its weights in half the bytes of fp32 and should run at fp32's speed (XNNPACK
 * unpacks the float16 weights once, at load), so a slower fp16 means a kernel fell back.
 */
export const VARIANT_CHECKS: ReadonlyArray<{ readonly target: string; readonly notSlowerThan: string }> = [{ target: 'tflite-fp16', notSlowerThan: 'tflite-fp32' }];

function variantChecks(model: string, ok: ReadonlyArray<{ target: string; samples: number[] }>, options: BenchOptions): LatencyRatio[] {
  return VARIANT_CHECKS.flatMap(({ target, notSlowerThan }) => {
    const a = ok.find((o) => o.target === target);
    const b = ok.find((o) => o.target === notSlowerThan);
    return a && b ? [{ model, target, reference: notSlowerThan, comparison: compareSamples(a.samples, b.samples, options.gate) }] : [];
  });
}

/** Variant-check rows that failed: a variant significantly slower than the one it must keep up with. */
function failedVariantChecks(ratios: readonly LatencyRatio[]): LatencyRatio[] {
  return ratios.filter((r) => VARIANT_CHECKS.some((c) => c.target === r.target && c.notSlowerThan === r.reference) && r.comparison.verdict === 'regression');
}

function section(entries: readonly LatencyEntry[], ratios: readonly LatencyRatio[], calibrationMs: number, options: BenchOptions): LatencySection {
  const byTarget = new Map<string, LatencyRatio[]>();
  for (const ratio of ratios) {
    const key = `${ratio.target}\u0000${ratio.reference}`;
    byTarget.set(key, [...(byTarget.get(key) ?? []), ratio]);
  }
  const gated = entries.filter((e) => e.gate);
  const { plan, gate, baseline, against } = options;
  const variantFailures = failedVariantChecks(ratios).length;
  return {
    method: {
      rounds: plan.rounds,
      timePerTargetMs: plan.timePerWorkloadMs,
      warmupMs: plan.warmupMs,
      threshold: gate.threshold,
      alpha: gate.alpha,
      confidence: gate.confidence,
      inputs: "each golden's first seed",
    },
    calibration: { kernel: CALIBRATION_KERNEL, medianMs: calibrationMs },
    baseline: baseline
      ? { path: baseline.path, createdAt: baseline.baseline.createdAt, calibrationMs: baseline.baseline.calibration.medianMs, machine: baseline.baseline.machine }
      : against
        ? { path: against.path, createdAt: 'this run: timed interleaved with the current models (raw ratios)', calibrationMs, machine: 'this machine, same process' }
        : null,
    injectedSlowdown: Object.fromEntries(options.slowdown),
    entries,
    ratios,
    // Geometric mean: the right average of ratios (2x slower and 2x faster average to 1x).
    ratioSummary: [...byTarget.values()].map((list) => ({
      target: list[0]!.target,
      reference: list[0]!.reference,
      geomean: Math.exp(list.reduce((sum, r) => sum + Math.log(r.comparison.ratio), 0) / list.length),
      models: list.length,
    })),
    summary: {
      gated: gated.length,
      regressions: gated.filter((e) => e.gate!.verdict === 'regression').length + variantFailures,
      inconclusive: gated.filter((e) => e.gate!.verdict === 'inconclusive').length,
      pass: gated.every((e) => e.gate!.verdict !== 'regression') && variantFailures === 0,
    },
  };
}
