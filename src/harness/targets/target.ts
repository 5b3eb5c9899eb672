import type { Tensor } from '../../tensor/index.ts';
import type { Golden } from '../golden/index.ts';

/** A model opened on one engine, taking and returning tensors in PyTorch's layout and order. */
export interface OpenTarget {
  run(inputs: readonly Tensor[]): Promise<Tensor[]>;
  close(): Promise<void>;
}

/** One way of computing a golden's outputs that is compared against the PyTorch reference. */
export interface Target {
  readonly name: string;
  /** Set when the target cannot run on this machine: its rows are skipped with this reason. */
  readonly unavailable?: string;
  open(golden: Golden): Promise<OpenTarget>;
}
