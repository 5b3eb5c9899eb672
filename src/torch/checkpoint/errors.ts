import { TorchportError } from '../../errors.ts';

// One class per kind of failure, each with a stable code. Every message starts with where the
// problem is (file, zip entry, pickle offset, tensor name) and, when there is one, what to do.

/** The zip container is truncated, inconsistent or uses a feature torch.save never writes. */
export class ZipFormatError extends TorchportError {
  readonly code = 'E_ZIP_FORMAT';
}

/** A zip entry's bytes do not match the CRC-32 its directory records (corruption). */
export class ZipChecksumError extends TorchportError {
  readonly code = 'E_ZIP_CRC';
}

/** data.pkl is not a well-formed pickle (truncated, unknown opcode, stack misuse). */
export class PickleFormatError extends TorchportError {
  readonly code = 'E_PICKLE_FORMAT';
}

/** data.pkl names a Python global outside the allow-list: it is refused, never resolved. */
export class PickleGlobalError extends TorchportError {
  readonly code = 'E_PICKLE_GLOBAL';
  constructor(
    readonly global: string,
    message: string,
  ) {
    super(message);
  }
}

/** data.pkl exceeds a resource limit (nesting, memo, number size, traversal budget). */
export class PickleLimitError extends TorchportError {
  readonly code = 'E_PICKLE_LIMIT';
}

/** The archive parses but does not describe tensors the way torch.save does. */
export class CheckpointFormatError extends TorchportError {
  readonly code = 'E_CHECKPOINT_FORMAT';
}

/** A storage record holds fewer bytes than the tensors viewing it need. */
export class CheckpointStorageError extends TorchportError {
  readonly code = 'E_CHECKPOINT_STORAGE';
}

/** A tensor uses an element type torchport does not carry (complex, quantized, ...). */
export class CheckpointDTypeError extends TorchportError {
  readonly code = 'E_CHECKPOINT_DTYPE';
}

/** A pre-1.6 (non-zip) torch.save file. */
export class LegacyCheckpointError extends TorchportError {
  readonly code = 'E_CHECKPOINT_LEGACY';
}

/** A torch.jit.save archive: code plus constants, not a plain checkpoint. */
export class TorchScriptArchiveError extends TorchportError {
  readonly code = 'E_CHECKPOINT_TORCHSCRIPT';
}

/** The weights cannot be picked out: the named key is missing, or the choice is ambiguous. */
export class CheckpointKeyError extends TorchportError {
  readonly code = 'E_CHECKPOINT_KEY';
}

/** A tensor or structure exceeds a configured resource limit (bytes of a contiguous copy). */
export class CheckpointLimitError extends TorchportError {
  readonly code = 'E_CHECKPOINT_LIMIT';
}
