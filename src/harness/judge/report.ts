// report.json: the contract a run is judged into. Every other report format (markdown, JUnit,
// HTML, the terminal table) is rendered from this object.
import type { RunnerInfo } from '../../runtimes/index.ts';
import type { Float64Column } from '../budget/index.ts';
import type { Needed, Tolerance, ToleranceRule } from '../compare/index.ts';
import type { CheckResult, RunEnvironment } from '../run/index.ts';
import type { Divergence, ModelStructure } from '../targets/index.ts';

export type RowStatus = 'pass' | 'fail' | 'skip' | 'error' | 'nondeterministic';

/** One output of one model on one target for one seed. */
export interface ResultRow {
  readonly model: string;
  readonly target: string;
  readonly seed: number | null;
  readonly output: string | null;
  readonly status: RowStatus;
  readonly pass: boolean;
  /** Why it failed, errored or was skipped. */
  readonly reason?: string;
  /** A skipped row the suite or the caller allowed: why that skip is acceptable. A skip without it fails the run. */
  readonly skipAllowed?: string;
  readonly rule: ToleranceRule;
  readonly tolerance: Tolerance;
  /** The value of the rule's parameter that would have been needed to pass. */
  readonly needed?: Needed;
  readonly maxAbsDiff?: number;
  /** max|diff| / max|reference|: the error relative to the output's scale (shown beside max|diff| in every report). */
  readonly relError?: number;
  readonly maxRelDiff?: number;
  readonly meanAbsDiff?: number;
  /** Signed mean error: a systematic offset shows here while rounding noise averages out. */
  readonly meanDiff?: number;
  readonly rmse?: number;
  readonly cosineSimilarity?: number;
  readonly maxAbsReference?: number;
  readonly worst?: { readonly index: readonly number[]; readonly actual: number; readonly reference: number };
  /** Classifier-shaped outputs: the fraction of batch rows whose argmax agrees with PyTorch's. */
  readonly top1Agreement?: number;
  /** Error against PyTorch's float64 answer, PyTorch float32's own, and their ratio (the rounding cost); or why there is no float64 answer. */
  readonly float64?: Float64Column;
}

/** Golden checks from the run, plus the judge's own: drift ratchet and structure. */
export interface JudgedCheck extends Omit<CheckResult, 'check'> {
  readonly check: CheckResult['check'] | 'ratchet' | 'structure';
  readonly target?: string;
}

export interface TargetSummary {
  readonly model: string;
  readonly target: string;
  readonly info?: RunnerInfo;
  readonly structure?: ModelStructure;
  readonly maxAbsDiff?: number;
  /** Wall time of the first seed's run (not a benchmark: see `torchport bench`). */
  readonly firstRunMs?: number;
  readonly nondeterministic?: { readonly seed: number; readonly maxAbsDiff: number };
  /** When the target failed: where its intermediate values first leave tolerance. */
  readonly divergence?: Divergence;
}

export interface RunReport {
  readonly format: 'torchport-report';
  readonly version: 1;
  readonly runId: string;
  readonly suite: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly environment: RunEnvironment;
  readonly summary: {
    readonly rows: number;
    /** Rows compared against the reference (pass, fail, nondeterministic). Zero is never green. */
    readonly judged: number;
    readonly passed: number;
    readonly failed: number;
    readonly errors: number;
    readonly skipped: number;
    /** Skipped rows the suite or --allow-skip allowed; the others fail the run. */
    readonly skippedAllowed: number;
    /** Per target, why its allowed skips are acceptable. */
    readonly skipReasons?: readonly string[];
    /** Why the run is not green besides failed rows and checks (unallowed skips, nothing judged). */
    readonly notGreen: readonly string[];
    readonly nondeterministic: number;
    readonly checksFailed: number;
    readonly pass: boolean;
  };
  readonly models: ReadonlyArray<{ readonly model: string; readonly fixture: string | null; readonly golden: string; readonly recorded: boolean }>;
  readonly targets: readonly TargetSummary[];
  readonly checks: readonly JudgedCheck[];
  readonly results: readonly ResultRow[];
  /** Latency benchmark (`torchport bench`): the table, the target-vs-target ratios and the regression gate. */
  readonly latency?: LatencySection;
}

/** Descriptive statistics of latency samples, in milliseconds. */
export interface LatencyStats {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation. */
  readonly sd: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Current vs reference samples: median ratio with its bootstrap interval, one-sided U-test p-values, the verdict. */
export interface LatencyComparison {
  /** median(current) / median(reference): 1.25 = 25% slower. */
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
  readonly pSlower: number;
  readonly pFaster: number;
  readonly verdict: 'regression' | 'inconclusive' | 'unchanged' | 'faster';
  readonly threshold: number;
  readonly alpha: number;
}

/** One model on one target. */
export interface LatencyEntry {
  readonly model: string;
  readonly target: string;
  readonly status: 'ok' | 'skip' | 'error';
  readonly reason?: string;
  readonly info?: RunnerInfo;
  /** `node`: timed by tinybench in this process; `bridge`: timed inside the PyTorch worker (context, not gated). */
  readonly timedIn: 'node' | 'bridge';
  readonly warmupRuns?: number;
  readonly stats?: LatencyStats;
  /** p50 divided by the calibration kernel's median in the same rounds. */
  readonly normalisedP50?: number;
  /** Against the stored baseline (normalised by the calibration workload on both sides). */
  readonly gate?: LatencyComparison & { readonly baselineP50Ms: number };
}

/** One target against another on the same model, interleaved in the same process. */
export interface LatencyRatio {
  readonly model: string;
  readonly target: string;
  readonly reference: string;
  readonly comparison: LatencyComparison;
}

export interface LatencySection {
  readonly method: {
    readonly rounds: number;
    readonly timePerTargetMs: number;
    readonly warmupMs: number;
    readonly threshold: number;
    readonly alpha: number;
    readonly confidence: number;
    /** Which golden seed's inputs were timed. */
    readonly inputs: string;
  };
  readonly calibration: { readonly kernel: string; readonly medianMs: number };
  readonly baseline: { readonly path: string; readonly createdAt: string; readonly calibrationMs: number; readonly machine: string } | null;
  /** Test-only planted slowdowns that were active (TORCHPORT_BENCH_INJECT_SLOWDOWN). */
  readonly injectedSlowdown: Readonly<Record<string, number>>;
  readonly entries: readonly LatencyEntry[];
  readonly ratios: readonly LatencyRatio[];
  /** Per target: the geometric mean of its ratios to the reference target over the models both ran. */
  readonly ratioSummary: ReadonlyArray<{ readonly target: string; readonly reference: string; readonly geomean: number; readonly models: number }>;
  readonly summary: { readonly gated: number; readonly regressions: number; readonly inconclusive: number; readonly pass: boolean };
}
