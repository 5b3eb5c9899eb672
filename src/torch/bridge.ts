import { execa, type ResultPromise } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readConfig, type TorchportConfig } from '../config/index.ts';
import { TorchportError } from '../errors.ts';
import { cleanupOnInterrupt } from '../util/index.ts';
import { decodeNpy, encodeNpy, type Tensor } from '../tensor/index.ts';
import type { BridgeErrorPayload, BridgeMessage, BridgeMethod, BridgeMethods, BridgeVersions, LoadFixtureResult, StateDictEntry } from './protocol.ts';
import { killGroup, processExit, releaseGroup, trackGroup } from './process-group.ts';
import { describeProbeFailure, pythonCandidates, TorchUnavailableError, type PythonAttempt } from './python.ts';

const BRIDGE_SCRIPT = fileURLToPath(new URL('../../scripts/torch_bridge.py', import.meta.url));
const EXIT_NO_TORCH = 3;
const STDERR_TAIL_BYTES = 16 * 1024;
/** Tells the worker which process to outlive no longer (scripts/torch_bridge.py watches it). */
const PARENT_PID_VAR = 'TORCHPORT_BRIDGE_PARENT_PID';

/** A request the worker answered with an error (a fixture that raised, a bad file). */
export class BridgeRequestError extends TorchportError {
  readonly code = 'E_BRIDGE_REQUEST';
  constructor(
    readonly method: string,
    readonly payload: BridgeErrorPayload,
  ) {
    super(`${payload.type} in ${method}: ${payload.message}\nPython traceback:\n${payload.traceback.trimEnd()}`);
  }
}

/** A request that did not finish in time; the worker was killed (a new one starts on the next request). */
export class BridgeTimeoutError extends TorchportError {
  readonly code = 'E_BRIDGE_TIMEOUT';
  constructor(method: string, subject: string, timeoutMs: number, stderrTail: string) {
    super(
      `${method} ${subject} did not finish within ${timeoutMs} ms; the Python worker was killed. ` +
        `Raise the limit with TORCHPORT_BRIDGE_TIMEOUT_MS if the fixture is just slow.` +
        (stderrTail ? `\nWhere Python was (last worker output):\n${stderrTail.trimEnd()}` : ''),
    );
  }
}

/** The worker died or broke the protocol. */
export class BridgeCrashedError extends TorchportError {
  readonly code = 'E_BRIDGE_CRASHED';
}

export interface BridgeOptions {
  /** The worker's environment (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Interpreter and timeout settings (default: parsed from `env`). */
  readonly config?: TorchportConfig;
  /** Per request; a fixture that takes longer is killed. Default 120 s (TORCHPORT_BRIDGE_TIMEOUT_MS). */
  readonly requestTimeoutMs?: number;
  /** Until the worker has imported torch and said it is ready. Default 180 s. */
  readonly startTimeoutMs?: number;
  /** Receives every line the worker (and fixtures) write to stderr. */
  readonly onStderr?: (line: string) => void;
}

/** A fixture loaded in the worker. Handles die with the worker that issued them. */
export interface FixtureHandle extends LoadFixtureResult {
  readonly path: string;
  readonly generation: number;
}

interface Pending {
  readonly method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface StderrTail {
  text: string;
}

interface Worker {
  readonly process: ResultPromise;
  readonly versions: BridgeVersions;
  readonly generation: number;
  /** The last STDERR_TAIL_BYTES this worker wrote to stderr. */
  readonly stderr: StderrTail;
}

/**
 * The client side of scripts/torch_bridge.py: one long-lived Python worker so that a run pays the
 * `import torch` cost once. Requests are answered in order; a request that runs out of time kills
 * the worker (after asking Python to dump where it was) and the next request starts a fresh one.
 */
export class TorchBridge {
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;
  private generation = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastTail: StderrTail = { text: '' };
  private forgetInterruptCleanup: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private tempDir: string | undefined;
  private closed = false;
  private readonly config: TorchportConfig;
  private readonly requestTimeoutMs: number;
  private readonly startTimeoutMs: number;

  constructor(private readonly options: BridgeOptions = {}) {
    this.config = options.config ?? readConfig(options.env ?? process.env);
    this.requestTimeoutMs = options.requestTimeoutMs ?? this.config.bridgeTimeoutMs;
    this.startTimeoutMs = options.startTimeoutMs ?? 180_000;
  }

  /** Starts the worker (if needed) and returns the versions it reported. */
  async versions(): Promise<BridgeVersions> {
    return (await this.ensureWorker()).versions;
  }

  async loadFixture(path: string): Promise<FixtureHandle> {
    const absolute = resolve(path);
    const result = await this.request('load_fixture', { path: absolute }, absolute);
    return { ...result, path: absolute, generation: this.generation };
  }

  /** Writes the fixture model's full state_dict (parameters and buffers, original dtypes) as safetensors. */
  async saveStateDict(fixture: FixtureHandle, path: string): Promise<StateDictEntry[]> {
    this.checkHandle(fixture);
    return (await this.request('state_dict', { handle: fixture.handle, path: resolve(path) }, fixture.path)).tensors;
  }

  /** Replaces the fixture model's parameters and buffers with a safetensors file (strict: every key must match). */
  async loadWeights(fixture: FixtureHandle, path: string): Promise<void> {
    this.checkHandle(fixture);
    await this.request('load_weights', { handle: fixture.handle, path: resolve(path) }, fixture.path);
  }

  /**
   * Runs the model on `inputs` (in PyTorch's layout) and returns its outputs, named. With `float64`
   * a float64 copy of the model runs on the inputs widened to float64 (integer inputs stay integer);
   * a model that cannot (no double kernel, a cast to float32 inside forward) fails the request. With
   * `float16Weights` that float64 copy first has every floating parameter and buffer rounded to float16.
   */
  async run(fixture: FixtureHandle, inputs: readonly Tensor[], options: { float64?: boolean; float16Weights?: boolean } = {}): Promise<Array<{ name: string; tensor: Tensor }>> {
    this.checkHandle(fixture);
    const dir = await mkdtemp(join(await this.scratchDir(), 'run-'));
    try {
      const paths = await this.writeInputs(dir, inputs);
      const { outputs } = await this.request(
        'run',
        { handle: fixture.handle, inputs: paths, outputDir: dir, ...(options.float64 ? { float64: true } : {}), ...(options.float16Weights ? { float16Weights: true } : {}) },
        fixture.path,
      );
      // Awaited here, inside the try: the folder is removed only after every output was read.
      return await Promise.all(outputs.map(async (out) => ({ name: out.name, tensor: decodeNpy(await readFile(out.path), out.path) })));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Runs the model once on `inputs` while recording its graph (see scripts/torchport_capture.py):
   * writes graph.json, the constant tensors and, when `activationsPath` is given, every
   * intermediate value (safetensors keyed by value id).
   */
  async captureGraph(fixture: FixtureHandle, inputs: readonly Tensor[], paths: { graphPath: string; constantsPath: string; activationsPath?: string }): Promise<{ nodes: number; constants: number }> {
    this.checkHandle(fixture);
    const dir = await mkdtemp(join(await this.scratchDir(), 'capture-'));
    try {
      const inputPaths = await this.writeInputs(dir, inputs);
      return await this.request(
        'capture_graph',
        {
          handle: fixture.handle,
          inputs: inputPaths,
          graphPath: resolve(paths.graphPath),
          constantsPath: resolve(paths.constantsPath),
          ...(paths.activationsPath ? { activationsPath: resolve(paths.activationsPath) } : {}),
        },
        fixture.path,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Exports the model to ONNX (torch.onnx.export, static shapes of `inputs`) at `path`. */
  async exportOnnx(fixture: FixtureHandle, inputs: readonly Tensor[], path: string, opset = 17): Promise<{ opset: number }> {
    this.checkHandle(fixture);
    const dir = await mkdtemp(join(await this.scratchDir(), 'onnx-'));
    try {
      const inputPaths = await this.writeInputs(dir, inputs);
      return await this.request('export_onnx', { handle: fixture.handle, inputs: inputPaths, path: resolve(path), opset }, fixture.path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Times forward passes inside Python (perf_counter_ns around the forward call alone, so the
   * bridge's own overhead is not counted): `warmup` untimed passes, then up to `runs` timed ones
   * within `budgetMs` (but at least `minRuns`). For the latency benchmark's PyTorch reference row.
   */
  async timeRun(
    fixture: FixtureHandle,
    inputs: readonly Tensor[],
    plan: { warmup: number; runs: number; minRuns?: number; budgetMs?: number; threads?: number },
  ): Promise<{ samplesMs: number[]; threads: number }> {
    this.checkHandle(fixture);
    const dir = await mkdtemp(join(await this.scratchDir(), 'time-'));
    try {
      const paths = await this.writeInputs(dir, inputs);
      const result = await this.request('time_run', { handle: fixture.handle, inputs: paths, ...plan }, fixture.path);
      return { samplesMs: result.samplesNs.map((ns) => ns / 1e6), threads: result.threads };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async unload(fixture: FixtureHandle): Promise<void> {
    if (fixture.generation !== this.generation || !this.worker) return;
    await this.request('unload', { handle: fixture.handle }, fixture.path);
  }

  private writeInputs(dir: string, inputs: readonly Tensor[]): Promise<string[]> {
    return Promise.all(
      inputs.map(async (tensor, i) => {
        const path = join(dir, `input_${i}.npy`);
        await writeFile(path, encodeNpy(tensor));
        return path;
      }),
    );
  }

  /** Sends one request; requests are serialised (the worker is single-threaded). */
  request<M extends BridgeMethod>(method: M, params: BridgeMethods[M]['params'], subject = ''): Promise<BridgeMethods[M]['result']> {
    const task = this.queue.then(() => this.send(method, params, subject));
    this.queue = task.catch(() => undefined);
    return task as Promise<BridgeMethods[M]['result']>;
  }

  /** The last lines the current (or last) worker wrote to stderr (fixture prints, warnings, faulthandler dumps). */
  recentStderr(): string {
    return this.lastTail.text;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      worker.process.stdin?.end(`${JSON.stringify({ id: 0, method: 'shutdown' })}\n`);
      const timer = setTimeout(() => killGroup(worker.process.pid), 3000);
      await processExit(worker.process);
      clearTimeout(timer);
      await releaseGroup(worker.process); // anything the fixtures started goes with it
    }
    await this.removeScratch();
  }

  private checkHandle(fixture: FixtureHandle): void {
    if (fixture.generation !== this.generation || !this.worker) {
      throw new BridgeCrashedError(`the worker that loaded ${fixture.path} is gone (it was killed or crashed); load the fixture again`);
    }
  }

  private async scratchDir(): Promise<string> {
    if (!this.tempDir) {
      this.tempDir = await mkdtemp(join(tmpdir(), 'torchport-bridge-'));
      this.closeOnInterrupt();
    }
    return this.tempDir;
  }

  /** A SIGINT/SIGTERM of the run still ends the worker's process group and removes the scratch folder. */
  private closeOnInterrupt(): void {
    this.forgetInterruptCleanup ??= cleanupOnInterrupt(() => this.close());
  }

  private async removeScratch(): Promise<void> {
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
    this.forgetInterruptCleanup?.();
    this.forgetInterruptCleanup = undefined;
  }

  private async send<M extends BridgeMethod>(method: M, params: BridgeMethods[M]['params'], subject: string): Promise<unknown> {
    if (this.closed) throw new BridgeCrashedError('the bridge is closed');
    const worker = await this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolvePromise, rejectPromise) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        void this.killForTimeout(worker).then((tail) => rejectPromise(new BridgeTimeoutError(method, subject, this.requestTimeoutMs, tail)));
      }, this.requestTimeoutMs);
      this.pending.set(id, {
        method,
        resolve: (value) => {
          clearTimeout(timer);
          resolvePromise(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          rejectPromise(error);
        },
      });
      worker.process.stdin!.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  /** Asks Python for a traceback of where it is stuck, then kills the worker and everything it started. */
  private async killForTimeout(worker: Worker): Promise<string> {
    worker.process.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 500));
    const tail = worker.stderr.text;
    this.discardWorker(worker);
    killGroup(worker.process.pid);
    await processExit(worker.process);
    await releaseGroup(worker.process);
    return tail;
  }

  private discardWorker(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    this.generation += 1;
  }

  private ensureWorker(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.starting ??= this.startWorker().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startWorker(): Promise<Worker> {
    const env = this.options.env ?? process.env;
    this.closeOnInterrupt();
    const attempts: PythonAttempt[] = [];
    for (const executable of pythonCandidates(this.config.python)) {
      const outcome = await this.spawn(executable, env);
      if ('worker' in outcome) {
        this.worker = outcome.worker;
        return outcome.worker;
      }
      attempts.push({ executable, problem: outcome.problem });
    }
    throw new TorchUnavailableError(attempts);
  }

  private spawn(executable: string, env: NodeJS.ProcessEnv): Promise<{ worker: Worker } | { problem: string }> {
    const child = execa(executable, ['-u', BRIDGE_SCRIPT], {
      env: { ...env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', [PARENT_PID_VAR]: String(process.pid) },
      extendEnv: false,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      // A process group of its own: a timeout kills the worker with every process a fixture started.
      detached: true,
    });
    void child.catch(() => undefined); // how it ended is read from the 'exit' event below
    const untrack = trackGroup(child.pid);
    const generation = ++this.generation;
    // Each worker tells its own story: a failed candidate's or an earlier worker's output never
    // shows up in a later worker's messages.
    const stderr: StderrTail = { text: '' };
    this.lastTail = stderr;
    return new Promise((settle) => {
      let ready = false;
      const startTimer = setTimeout(() => {
        killGroup(child.pid);
        settle({ problem: `did not start within ${this.startTimeoutMs} ms` });
      }, this.startTimeoutMs);

      createInterface({ input: child.stderr! }).on('line', (line) => {
        stderr.text = (stderr.text + line + '\n').slice(-STDERR_TAIL_BYTES);
        if (ready) this.options.onStderr?.(line); // before ready it is a failed candidate's story, told in the attempts
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let message: BridgeMessage;
        try {
          message = JSON.parse(line) as BridgeMessage;
        } catch {
          this.options.onStderr?.(`[bridge protocol noise] ${line}`);
          return;
        }
        if ('event' in message) {
          if (message.event === 'ready' && !ready) {
            ready = true;
            clearTimeout(startTimer);
            const { event: _event, ...versions } = message;
            settle({ worker: { process: child, versions, generation, stderr } });
          }
          return;
        }
        const pending = message.id === null ? undefined : this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id!);
        if ('error' in message) pending.reject(new BridgeRequestError(pending.method, message.error));
        else pending.resolve(message.result);
      });

      // The worker's own exit, not its pipes closing: a grandchild may hold those open for ever.
      child.stdin!.on('error', () => undefined); // EPIPE after the worker died: reported by the exit handler below
      void processExit(child).then(async ({ exitCode, signal, spawnError }) => {
        clearTimeout(startTimer);
        const current = ready && this.worker?.process === child;
        if (current) this.discardWorker(this.worker!);
        await releaseGroup(child); // its last words (a response, a traceback) still arrive meanwhile
        untrack();
        if (!ready) {
          settle({
            problem:
              exitCode === EXIT_NO_TORCH
                ? 'runs, but has no torch module'
                : describeProbeFailure({ exitCode: exitCode ?? undefined, stderr: stderr.text, ...(spawnError?.code ? { code: spawnError.code } : {}) }),
          });
          return;
        }
        if (this.closed || !current) return;
        const why = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
        const error = new BridgeCrashedError(`the Python worker ${why}${stderr.text ? `; its last output:\n${stderr.text.trimEnd()}` : ''}`);
        for (const [id, pending] of this.pending) {
          this.pending.delete(id);
          pending.reject(error);
        }
      });
    });
  }
}
