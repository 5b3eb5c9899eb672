export { WeightTransferError, formatTransferReport, transferWeights, type TransferOptions, type TransferProblem, type TransferReport, type WeightOverride } from './transfer.ts';
export { IDENTITY, permute, type WeightLayout } from './layouts.ts';
export { CONV2D_RULE, type LayerRule } from './rules.ts';
