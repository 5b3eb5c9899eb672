export {
  TORCH_DEFAULT_EPSILON,
  WeightTransferError,
  formatTransferReport,
  transferWeights,
  type TransferOptions,
  type TransferProblem,
  type TransferProblemCode,
  type TransferReport,
  type WeightAssignment,
} from './transfer.ts';
export { SUPPORTED_LAYER_CLASSES } from './rules.ts';
