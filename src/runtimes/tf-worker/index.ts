export { TfWorker, TfWorkerRequestError, TfWorkerUnavailableError, benchWorkerModel, sharedTfWorker, workerModelRunner, type BenchPlan, type IoSpec, type LoadedModel } from './worker.ts';
