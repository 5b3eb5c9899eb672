export { executeModel, type ExecuteOptions, type ModelSource } from './execute.ts';
export { type CheckResult, type ModelRecord, type RunEnvironment, type RunRecord, type TargetRecord } from './record.ts';
export { describeEnvironment, parseRunRecord, runIdFor } from './environment.ts';
