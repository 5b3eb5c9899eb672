import { TorchportError } from '../../errors.ts';

export interface UnsupportedOp {
  /** The graph node's name. */
  readonly node: string;
  /** Module class (Conv2d) or function (torch.cat). */
  readonly op: string;
  readonly kind: 'module' | 'function';
  /** The module path: the module itself, or the module whose forward made the call. */
  readonly modulePath: string;
  readonly reason: string;
}

/** The graph holds operations the builder cannot express; all of them are listed, not the first. */
export class UnsupportedOpsError extends TorchportError {
  readonly code = 'E_UNSUPPORTED_OPS';
  constructor(readonly ops: readonly UnsupportedOp[]) {
    const lines = ops.map((op) => `  - node '${op.node}': ${op.kind} ${op.op} at module path '${op.modulePath || '(root)'}': ${op.reason}`);
    super(
      `cannot build a Keras model: ${ops.length} unsupported operation(s) in the captured graph:\n${lines.join('\n')}\n` +
        `Rewrite those parts of the model with supported operations, or add the op to one of torchport's op families (src/keras/builder/ops/, see docs/architecture.md).`,
    );
  }
}

/** A supported op met a case the builder cannot express (found while building, e.g. a layout). */
export class KerasBuildError extends TorchportError {
  readonly code = 'E_KERAS_BUILD';
}
