export { executeModel, type ExecuteOptions, type ModelSource } from './execute.ts';
export { RUN_RECORD_FORMAT, type CheckResult, type ModelRecord, type RunEnvironment, type RunRecord, type SeedRecord, type TargetRecord } from './record.ts';
export { RunRecordError, describeEnvironment, parseRunRecord, runIdFor } from './environment.ts';
