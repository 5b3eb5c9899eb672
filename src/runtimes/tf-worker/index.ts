export {
  TfWorker,
  TfWorkerCrashedError,
  TfWorkerRequestError,
  TfWorkerUnavailableError,
  benchWorkerModel,
  sharedTfWorker,
  workerModelRunner,
  type BenchPlan,
  type IoSpec,
  type LoadedModel,
  type TfWorkerInfo,
  type TfWorkerOptions,
} from './worker.ts';
