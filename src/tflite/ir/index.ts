export { IrGraph, type IrDType, type IrLoop, type IrOp, type IrTensor, type IrValue } from './graph.ts';
