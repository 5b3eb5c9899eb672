export {
  TF_PYTHON_ENV_VAR,
  TfWorker,
  TfWorkerCrashedError,
  TfWorkerRequestError,
  TfWorkerUnavailableError,
  benchWorkerModel,
  sharedTfWorker,
  workerModelRunner,
  type IoSpec,
  type LoadedModel,
  type TfWorkerInfo,
  type TfWorkerOptions,
} from './worker.ts';
