export { DEBUG_DESCRIPTION, QUANTIZE_VARIANTS, convertKerasToTflite, type ConversionReport, type ConversionResult, type ConvertOptions, type LayerMapping, type QuantizeVariant } from './convert.ts';
export { registerLowering, loweredClassNames, type Lowering } from './table.ts';
export type { LoweringContext, LayerInfo, OutputSpec } from './context.ts';
export type { IrDType, IrGraph, IrOp, IrTensor, IrValue } from './ir.ts';
export type { Rewrite } from './passes.ts';
export type { GroupedConvolutionStrategy } from './layers/conv.ts';
export { ConversionOptionsError, KerasLoweringError, type LoweringProblem } from './errors.ts';
import './layers/sequence.ts';
import './layers/recurrent.ts';
