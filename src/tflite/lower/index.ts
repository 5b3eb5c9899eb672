export { DEBUG_DESCRIPTION, QUANTIZE_VARIANTS, convertKerasToTflite, type ConversionReport, type ConversionResult, type ConvertOptions, type LayerMapping, type QuantizeVariant } from './convert.ts';
export type { LoweringContext, LoweringSettings, LayerInfo, OutputSpec } from './context.ts';
export type { IrDType, IrGraph, IrOp, IrTensor, IrValue } from '../ir/index.ts';
export type { Rewrite } from './passes.ts';
export type { GroupedConvolutionStrategy } from './layers/conv.ts';
export { RECURRENCE_STRATEGIES, type RecurrenceStrategy } from './loop.ts';
export { ConversionOptionsError, KerasLoweringError, type LoweringProblem } from './errors.ts';
