export {
  WeightTransferError,
  formatTransferReport,
  transferWeights,
  type TransferOptions,
  type TransferProblem,
  type TransferProblemCode,
  type TransferReport,
  type WeightAssignment,
} from './transfer.ts';
