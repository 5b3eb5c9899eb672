export { DEBUG_DESCRIPTION, QUANTIZE_VARIANTS, convertKerasToTflite, type ConversionResult, type ConvertOptions, type QuantizeVariant } from './convert.ts';
export type { LoweringContext, LoweringSettings } from './context.ts';
export { RECURRENCE_STRATEGIES, type RecurrenceStrategy } from './loop.ts';
export { ConversionOptionsError, KerasLoweringError } from './errors.ts';
