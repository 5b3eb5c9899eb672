// For tests: whether the worker has a package. Outside CI a machine without `npm run setup` skips
// the tests that need it; under CI (where setup always ran) a missing package fails them.
import { readConfig } from '../../config/index.ts';
import { TfWorkerUnavailableError, type TfWorker } from './worker.ts';

export async function workerHas(worker: TfWorker, distribution: string): Promise<boolean> {
  try {
    await worker.requireModule(distribution);
    return true;
  } catch (error) {
    if (readConfig().ci || !(error instanceof TfWorkerUnavailableError)) throw error;
    return false;
  }
}
