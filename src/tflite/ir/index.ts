export { IrGraph, type IrDType, type IrLoop, type IrOp, type IrTensor } from './graph.ts';
