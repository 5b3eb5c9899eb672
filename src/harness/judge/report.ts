// report.json: the contract a run is judged into. Every other report format (markdown, JUnit,
// HTML, the terminal table) is rendered from this object.
import type { RunnerInfo } from '../../runtimes/index.ts';
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
  readonly rule: ToleranceRule;
  readonly tolerance: Tolerance;
  /** The value of the rule's parameter that would have been needed to pass. */
  readonly needed?: Needed;
  readonly maxAbsDiff?: number;
  readonly maxRelDiff?: number;
  readonly meanAbsDiff?: number;
  readonly rmse?: number;
  readonly cosineSimilarity?: number;
  readonly maxAbsReference?: number;
  readonly worst?: { readonly index: readonly number[]; readonly actual: number; readonly reference: number };
  /** Classifier-shaped outputs: the fraction of batch rows whose argmax agrees with PyTorch's. */
  readonly top1Agreement?: number;
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
    readonly passed: number;
    readonly failed: number;
    readonly errors: number;
    readonly skipped: number;
    readonly nondeterministic: number;
    readonly checksFailed: number;
    readonly pass: boolean;
  };
  readonly models: ReadonlyArray<{ readonly model: string; readonly fixture: string | null; readonly golden: string; readonly recorded: boolean }>;
  readonly targets: readonly TargetSummary[];
  readonly checks: readonly JudgedCheck[];
  readonly results: readonly ResultRow[];
}
