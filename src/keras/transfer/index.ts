export {
  WeightTransferError,
  formatTransferReport,
  transferWeights,
  type TransferOptions,
  type TransferProblem,
  type TransferProblemCode,
  type TransferReport,
  type WeightAssignment,
  type WeightOverride,
} from './transfer.ts';
export { permute, type WeightLayout } from './layouts.ts';
