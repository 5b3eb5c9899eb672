export * from './compare/index.ts';
export * from '../golden/index.ts';
export * from './judge/index.ts';
export * from './run/index.ts';
export * from './suite/index.ts';
export * from './targets/index.ts';
export * from './verify/index.ts';
export * from './budget/index.ts';
