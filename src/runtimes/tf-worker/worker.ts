// The client of scripts/tf_worker.py: real Keras 3 and the native LiteRT interpreter, in a Python
// process of their own (never the PyTorch bridge's). One worker per Node process, started by the
// first request that needs it, so a run pays Python's start-up (and TensorFlow's import, when a
// Keras method is used) once. The worker is unreferenced: it never keeps Node alive, and it exits
// when Node does (end of its stdin).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ENV, readConfig, type TorchportConfig } from '../../config/index.ts';
import { TorchportError } from '../../errors.ts';
import { decodeNpy, encodeNpy, type Tensor } from '../../tensor/index.ts';
import { PROJECT_VENV_PYTHON } from '../../torch/index.ts';
import type { Runner, RunnerInfo } from '../runner.ts';

const WORKER_SCRIPT = fileURLToPath(new URL('../../../scripts/tf_worker.py', import.meta.url));
const STDERR_TAIL_CHARS = 8 * 1024;
const START_TIMEOUT_MS = 120_000;

/** The environment variable naming the interpreter for the TensorFlow-side worker (default: the project's .venv). */

/** No interpreter with the needed package: the targets that need it are skipped with this reason. */
export class TfWorkerUnavailableError extends TorchportError {
  readonly code = 'E_TF_WORKER_UNAVAILABLE';
}

/** The worker answered a request with an error (a model Keras or LiteRT refused, a bad input). */
export class TfWorkerRequestError extends TorchportError {
  readonly code = 'E_TF_WORKER_REQUEST';
  override readonly exitCode = 1 as const;
  constructor(
    readonly method: string,
    readonly type: string,
    message: string,
    readonly traceback: string,
  ) {
    super(`${type} in ${method}: ${message}`);
  }
}

/** The worker died, broke the protocol or ran out of time; the next request starts a fresh one. */
export class TfWorkerCrashedError extends TorchportError {
  readonly code = 'E_TF_WORKER_CRASHED';
  override readonly exitCode = 1 as const;
}

export interface TfWorkerInfo {
  readonly python: string;
  readonly numpy: string;
  readonly executable: string;
  readonly cpus: number;
  /** Installed distributions by name, null when missing. */
  readonly modules: Readonly<Record<string, string | null>>;
}

export interface IoSpec {
  readonly name: string;
  readonly shape: ReadonlyArray<number | null>;
  readonly dtype: string;
}

interface Pending {
  readonly method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Live {
  readonly child: ChildProcess;
  readonly info: TfWorkerInfo;
  readonly pending: Map<number, Pending>;
  /** Ends the worker's life; pending requests get `error`. */
  fail(error: Error): void;
}

export interface TfWorkerOptions {
  /** The worker's environment (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where TORCHPORT_TF_PYTHON comes from (default: parsed from `env`). */
  readonly config?: TorchportConfig;
  /** Per request (loading a model imports TensorFlow on first use). Default 300 s. */
  readonly requestTimeoutMs?: number;
}

export class TfWorker {
  private live: Promise<Live> | undefined;
  private nextId = 1;
  private scratch: string | undefined;
  private stderrTail = '';
  private readonly timeoutMs: number;

  constructor(private readonly options: TfWorkerOptions = {}) {
    this.timeoutMs = options.requestTimeoutMs ?? 300_000;
  }

  /** The interpreter the worker runs on: TORCHPORT_TF_PYTHON, else the project's .venv, else python3. */
  executable(): string {
    const chosen = (this.options.config ?? readConfig(this.options.env ?? process.env)).tfPython;
    if (chosen) return chosen;
    return existsSync(PROJECT_VENV_PYTHON) ? PROJECT_VENV_PYTHON : 'python3';
  }

  async info(): Promise<TfWorkerInfo> {
    return (await this.ensure()).info;
  }

  /** Fails with TfWorkerUnavailableError when `distribution` is not installed for the worker's Python. */
  async requireModule(distribution: string): Promise<string> {
    const info = await this.info();
    const version = info.modules[distribution];
    if (!version) throw new TfWorkerUnavailableError(`${distribution} is not installed for ${info.executable}; run \`npm run setup\` (or point ${ENV.tfPython} at a Python that has it)`);
    return version;
  }

  /** Writes `inputs` as .npy files, sends the request with their paths, reads the outputs it names. */
  async withTensors<R>(inputs: readonly Tensor[], send: (inputPaths: string[], outputDir: string) => Promise<R>): Promise<R> {
    this.scratch ??= await mkdtemp(join(tmpdir(), 'torchport-tf-'));
    const dir = await mkdtemp(join(this.scratch, 'io-'));
    try {
      const paths = await Promise.all(
        inputs.map(async (tensor, i) => {
          const path = join(dir, `input_${i}.npy`);
          await writeFile(path, encodeNpy(tensor));
          return path;
        }),
      );
      return await send(paths, dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async readOutputs(paths: readonly string[]): Promise<Tensor[]> {
    return Promise.all(paths.map(async (path) => decodeNpy(await readFile(path), path)));
  }

  async request<R>(method: string, params: Record<string, unknown>): Promise<R> {
    const live = await this.ensure();
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        live.fail(new TfWorkerCrashedError(`${method} did not finish within ${this.timeoutMs} ms; the TensorFlow worker was killed${this.tail()}`));
      }, this.timeoutMs);
      live.pending.set(id, {
        method,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as R);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      live.child.stdin!.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  /** Ends the worker (a later request starts a new one). */
  async close(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    if (live) {
      const worker = await live.catch(() => undefined);
      if (worker && worker.child.exitCode === null) {
        const exited = new Promise((resolve) => worker.child.once('exit', resolve));
        worker.child.stdin!.end();
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    }
    if (this.scratch) await rm(this.scratch, { recursive: true, force: true });
    this.scratch = undefined;
  }

  private tail(): string {
    return this.stderrTail ? `; its last output:\n${this.stderrTail.trimEnd()}` : '';
  }

  private ensure(): Promise<Live> {
    this.live ??= this.start().catch((error: unknown) => {
      this.live = undefined;
      throw error;
    });
    return this.live;
  }

  private start(): Promise<Live> {
    const executable = this.executable();
    const child = spawn(executable, ['-u', WORKER_SCRIPT], {
      env: { ...(this.options.env ?? process.env), PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Never keep Node alive for the worker; it exits when its stdin closes with Node.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr] as Array<{ unref?: () => void } | null>) stream?.unref?.();
    const pending = new Map<number, Pending>();
    this.stderrTail = '';
    return new Promise<Live>((resolve, reject) => {
      let live: Live | undefined;
      let ended = false;
      // A referenced timer keeps Node alive while it waits (as each request's timer does).
      const startTimer = setTimeout(() => fail(new TfWorkerUnavailableError(`the TensorFlow worker (${executable}) did not start within ${START_TIMEOUT_MS} ms${this.tail()}`)), START_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(startTimer);
        if (ended) return;
        ended = true;
        if (this.live && live) this.live = undefined;
        for (const [id, request] of pending) {
          pending.delete(id);
          request.reject(error);
        }
        if (child.exitCode === null) child.kill('SIGKILL');
        if (!live) reject(error);
      };
      child.on('error', (error) =>
        fail(new TfWorkerUnavailableError(`cannot start the TensorFlow worker with ${executable} (${error.message}); run \`npm run setup\` or set ${ENV.tfPython}`, { cause: error })),
      );
      child.on('exit', (code, signal) => {
        const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        fail(
          live
            ? new TfWorkerCrashedError(`the TensorFlow worker ${why}${this.tail()}`)
            : new TfWorkerUnavailableError(`the TensorFlow worker (${executable}) ${why} before it was ready${this.tail()}`),
        );
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        this.stderrTail = (this.stderrTail + line + '\n').slice(-STDERR_TAIL_CHARS);
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let message: { event?: string; id?: number; result?: unknown; error?: { type: string; message: string; traceback: string } } & Partial<TfWorkerInfo>;
        try {
          message = JSON.parse(line);
        } catch {
          return fail(new TfWorkerCrashedError(`the TensorFlow worker broke the protocol with ${JSON.stringify(line.slice(0, 200))}`));
        }
        if (message.event === 'ready') {
          const { event: _event, ...info } = message;
          clearTimeout(startTimer);
          live = { child, info: info as TfWorkerInfo, pending, fail };
          return resolve(live);
        }
        const request = message.id === undefined ? undefined : pending.get(message.id);
        if (!request) return;
        pending.delete(message.id!);
        if (message.error) request.reject(new TfWorkerRequestError(request.method, message.error.type, message.error.message, message.error.traceback));
        else request.resolve(message.result);
      });
    });
  }
}

let shared: TfWorker | undefined;

/** The process's TensorFlow worker (started on first use). */
export function sharedTfWorker(): TfWorker {
  shared ??= new TfWorker();
  return shared;
}

/** What the worker answers to load_keras / load_tflite. */
export interface LoadedModel {
  readonly handle: number;
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
}

/** A Runner over a model loaded in the worker: tensors go through .npy files in the model's own layout. */
export function workerModelRunner(worker: TfWorker, loaded: LoadedModel, info: RunnerInfo, cleanup?: () => Promise<void>): Runner {
  let disposed = false;
  return {
    info,
    inputNames: loaded.inputs.map((spec) => spec.name),
    outputNames: loaded.outputs.map((spec) => spec.name),
    async run(inputs) {
      if (disposed) throw new TfWorkerCrashedError(`${info.engine}: run() after dispose()`);
      return worker.withTensors(inputs, async (paths, outputDir) => {
        const { outputs } = await worker.request<{ outputs: string[] }>('run', { handle: loaded.handle, inputs: paths, outputDir });
        return worker.readOutputs(outputs);
      });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await worker.request('close', { handle: loaded.handle }).catch(() => undefined);
      await cleanup?.();
    },
  };
}

/** `warmup` untimed runs, then timed runs until `maxSeconds` have passed (at least `minRuns`, at most `runs`). */
export interface BenchPlan {
  readonly warmup: number;
  readonly runs: number;
  readonly maxSeconds: number;
  readonly minRuns?: number;
}

/** Latency samples (ms) of a loaded model, timed inside Python (inputs set and outputs read back included). */
export async function benchWorkerModel(worker: TfWorker, handle: number, inputs: readonly Tensor[], plan: BenchPlan): Promise<number[]> {
  return worker.withTensors(inputs, async (paths) => (await worker.request<{ samplesMs: number[] }>('bench', { handle, inputs: paths, ...plan })).samplesMs);
}
