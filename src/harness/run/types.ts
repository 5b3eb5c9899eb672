import type { Tolerance } from '../compare/index.ts';

export type RowStatus = 'pass' | 'fail' | 'skip' | 'error';

/** One output of one model on one target for one seed: the unit every report is made of. */
export interface ResultRow {
  readonly model: string;
  readonly target: string;
  readonly seed: number | null;
  readonly output: string | null;
  readonly status: RowStatus;
  readonly pass: boolean;
  /** Why it failed, errored or was skipped. */
  readonly reason?: string;
  readonly tolerance?: Tolerance;
  readonly maxAbsDiff?: number;
  readonly maxRelDiff?: number;
  readonly meanAbsDiff?: number;
  readonly rmse?: number;
  readonly cosineSimilarity?: number;
  readonly maxAbsReference?: number;
  /** The smallest atol that would have passed (with the tolerance's rtol). */
  readonly neededAtol?: number;
  readonly worst?: { readonly index: readonly number[]; readonly actual: number; readonly reference: number };
}

/** A check about a model's golden rather than about an output. */
export interface CheckResult {
  readonly model: string;
  readonly check: 'golden' | 'golden-integrity' | 'seeded-inputs';
  readonly pass: boolean;
  readonly problems: readonly string[];
}

export interface ModelSummary {
  readonly model: string;
  readonly fixture: string | null;
  readonly golden: string;
  /** True when this run recorded the golden (it was missing). */
  readonly recorded: boolean;
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

export interface RunReport {
  readonly format: 'torchport-report';
  readonly version: 1;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly environment: RunEnvironment;
  readonly summary: { readonly rows: number; readonly passed: number; readonly failed: number; readonly errors: number; readonly skipped: number; readonly checksFailed: number; readonly pass: boolean };
  readonly models: readonly ModelSummary[];
  readonly checks: readonly CheckResult[];
  readonly results: readonly ResultRow[];
}
