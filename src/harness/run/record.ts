// The run record (run.json): what every target computed, before any judgement. It is serialisable
// so a run can be re-judged with other tolerances without running anything again
// (`torchport report --from run.json`). Output tensors live beside it as .npy files.
import type { RunnerInfo } from '../../runtimes/index.ts';
import type { Divergence, ModelStructure } from '../targets/index.ts';

export const RUN_RECORD_FORMAT = 'torchport-run';

/** A check about a model's golden rather than about an output. */
export interface CheckResult {
  readonly model: string;
  readonly check: 'golden' | 'golden-integrity' | 'seeded-inputs' | 'seeds' | 'fixture';
  readonly pass: boolean;
  readonly problems: readonly string[];
}

export interface SeedRecord {
  readonly seed: number;
  /** Output files relative to the run directory, in output order; absent when the run failed. */
  readonly outputs?: ReadonlyArray<{ readonly name: string; readonly file: string }>;
  readonly error?: string;
  readonly milliseconds?: number;
}

export interface TargetRecord {
  readonly target: string;
  readonly info?: RunnerInfo;
  /** The target could not run here (engine missing): rows are skipped. */
  readonly skipped?: string;
  /** The model could not be opened (conversion or load failed). */
  readonly error?: string;
  readonly seeds: readonly SeedRecord[];
  readonly outputScales?: ReadonlyArray<number | null>;
  readonly structure?: ModelStructure;
  /** Per-layer errors against PyTorch's activations, when the target can tell them. */
  readonly divergence?: Divergence;
  /** Set when two identical runs of the first seed gave different outputs. */
  readonly nondeterministic?: { readonly seed: number; readonly maxAbsDiff: number };
}

export interface ModelRecord {
  readonly model: string;
  readonly fixture: string | null;
  /** The golden directory (absolute). */
  readonly golden: string;
  /** True when this run recorded the golden (it was missing). */
  readonly recorded: boolean;
  readonly checks: readonly CheckResult[];
  readonly targets: readonly TargetRecord[];
}

export interface RunEnvironment {
  readonly torchport: string;
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly torch: string | null;
  readonly python: string | null;
  readonly torchUnavailable: string | null;
  readonly gitCommit: string | null;
  readonly ci: boolean;
}

export interface RunRecord {
  readonly format: typeof RUN_RECORD_FORMAT;
  readonly version: 1;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly suite: string | null;
  readonly environment: RunEnvironment;
  readonly models: readonly ModelRecord[];
}
