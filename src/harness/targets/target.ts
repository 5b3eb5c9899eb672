import { TorchportError } from '../../errors.ts';
import type { RunnerInfo } from '../../runtimes/index.ts';
import type { Tensor } from '../../tensor/index.ts';
import type { Golden } from '../../golden/index.ts';

/** What a converted model looks like, for the structural checks (TFLite targets fill it in). */
export interface ModelStructure {
  /** Operator histogram. */
  readonly ops: Readonly<Record<string, number>>;
  readonly bytes: number;
  /** Custom or Flex ops (never wanted when a builtin exists). */
  readonly customOps: readonly string[];
  /** Operators whose int8 tensors break their quantization rule (full int8): each a failure of the target. */
  readonly int8Parameters?: readonly string[];
}

/** Per-layer errors of a failing target against PyTorch's intermediate activations (first seed). */
export interface Divergence {
  /** The first layer, in execution order, whose output exceeds the tolerance; null when none does. */
  readonly first: DivergentLayer | null;
  readonly layers: readonly DivergentLayer[];
  readonly tolerance: number;
}

export interface DivergentLayer {
  /** The PyTorch module path (or the graph node name for functional ops). */
  readonly module: string;
  readonly op: string;
  /** The same layer's name in the converted model (Keras layer / TFLite tensor). */
  readonly convertedName: string;
  readonly maxAbsDiff: number;
  readonly maxAbsReference: number;
  /** Signed mean error (a systematic offset shows here). */
  readonly meanDiff?: number;
  /** Quantized layers: the scale of the int8 tensor holding the output (one step). */
  readonly scale?: number;
}

/** A model opened on one engine, taking and returning tensors in PyTorch's layout and order. */
export interface OpenTarget {
  readonly info: RunnerInfo;
  run(inputs: readonly Tensor[]): Promise<Tensor[]>;
  close(): Promise<void>;
  /** Per output: the scale of the quantized tensor it was dequantized from (int8 targets). */
  readonly outputScales?: ReadonlyArray<number | null>;
  readonly structure?: ModelStructure;
  /** Per-layer errors against PyTorch's intermediate activations (first seed), for first-divergence reports. */
  diagnose?(): Promise<Divergence>;
  /**
   * Latency timed inside the engine's own process rather than around `run` (whose file and IPC
   * transfer would swamp the engine's time): one entry per configuration (e.g. 1 thread, all cores).
   */
  selfTimed?(inputs: readonly Tensor[]): Promise<SelfTimedLatency[]>;
}

/** One configuration of a self-timed engine, for `torchport bench`. */
export interface SelfTimedLatency {
  /** The row's name in the latency table (the target, with the configuration when there are several). */
  readonly name: string;
  readonly info: RunnerInfo;
  /** Untimed runs within about `budgetMs` (at least `minRuns`); returns how many were made. */
  warmUp(budgetMs: number, minRuns: number): Promise<number>;
  /** Samples in ms within about `budgetMs` (at least `minRuns`). */
  measure(budgetMs: number, minRuns: number): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * Thrown by `Target.open` when the target does not apply to this model (e.g. torch.onnx.export
 * could not export it): its rows are skipped with the reason, not counted as errors of ours.
 */
export class TargetUnavailableError extends TorchportError {
  readonly code = 'E_TARGET_UNAVAILABLE';
}

/** One way of computing a golden's outputs that is compared against the PyTorch reference. */
export interface Target {
  readonly name: string;
  /** Set when the target cannot run on this machine: its rows are skipped with this reason. */
  readonly unavailable?: string;
  open(golden: Golden): Promise<OpenTarget>;
}
