export {
  TfWorker,
  TfWorkerRequestError,
  TfWorkerUnavailableError,
  benchWorkerModel,
  sharedTfWorker,
  workerModelRunner,
  type BenchPlan,
  type LoadedModel,
} from './worker.ts';
