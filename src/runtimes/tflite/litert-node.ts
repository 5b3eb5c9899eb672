// The Node stand-in for the browser loader @litertjs/core expects, and the only place that
// knows about it. LiteRT.js loads its Emscripten script through the worker API `importScripts`
// and reads `self`; the Emscripten script itself, once it sees Node, wants CommonJS `require`
// and `__dirname`. We provide those around the load, route the runtime's log lines (stderr of
// the C++ side) into a sink we can inspect, and restore the globals afterwards.
//
// LiteRT is loaded once per process: the package keeps one global instance, and loading the
// wasm module twice is refused by the package itself.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { TorchportError } from '../../errors.ts';

export class LiteRtLoadError extends TorchportError {
  readonly code = 'E_LITERT_LOAD';
}

type LiteRtPackage = typeof import('@litertjs/core');
type LiteRtWasm = ReturnType<LiteRtPackage['getGlobalLiteRt']>['liteRtWasm'];
type LiteRtEnvironmentHandle = ReturnType<LiteRtPackage['getGlobalLiteRt']>['getDefaultEnvironment'] extends () => infer E ? (E extends { liteRtEnvironment: infer L } ? L : never) : never;

export interface LiteRtRuntime {
  readonly wasm: LiteRtWasm;
  readonly environment: LiteRtEnvironmentHandle;
  readonly version: string;
  /** Which Emscripten build runs: compat (plain wasm SIMD), relaxed-simd, or threaded. */
  readonly build: 'compat' | 'relaxed-simd' | 'threaded';
  readonly threads: number;
}

export interface LiteRtLoadOptions {
  /**
   * Worker threads for XNNPACK. Above 1 this needs the threaded build, which needs relaxed SIMD
   * (`node --experimental-wasm-relaxed-simd` on Node 20).
   */
  threads?: number;
}

export interface LogLine {
  readonly level: 'INFO' | 'WARNING' | 'ERROR' | 'OTHER';
  readonly text: string;
}

const require = createRequire(import.meta.url);

let loading: Promise<LiteRtRuntime> | undefined;
let loadedThreads = 0;

/** Loads LiteRT (first call) or returns the already loaded instance. */
export function loadLiteRtOnce(options: LiteRtLoadOptions = {}): Promise<LiteRtRuntime> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    return Promise.reject(new LiteRtLoadError(`LiteRT threads must be an integer from 1 to 64, got ${threads}`));
  }
  if (loading) {
    if (threads !== loadedThreads) {
      return loading.then((runtime) => {
        if (runtime.threads === threads) return runtime;
        throw new LiteRtLoadError(`LiteRT is already loaded in this process with ${runtime.threads} thread(s); it cannot be reloaded with ${threads}`);
      });
    }
    return loading;
  }
  loadedThreads = threads;
  loading = load(threads).catch((error: unknown) => {
    loading = undefined;
    throw error instanceof LiteRtLoadError ? error : new LiteRtLoadError(`could not load LiteRT.js: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  });
  return loading;
}

// The runtime's own log lines (C++ stderr and stdout) accumulate here until someone takes them.
let pendingLog: LogLine[] = [];
const MAX_PENDING_LOG_LINES = 10_000;

function record(text: string): void {
  const match = /^(INFO|WARNING|ERROR)\b/.exec(text);
  pendingLog.push({ level: (match?.[1] as LogLine['level'] | undefined) ?? 'OTHER', text });
  if (pendingLog.length > MAX_PENDING_LOG_LINES) pendingLog = pendingLog.slice(-MAX_PENDING_LOG_LINES / 2);
}

// LiteRT calls are serialised so that the log lines taken after a call belong to that call.
let queue: Promise<unknown> = Promise.resolve();

/** Runs `work` alone against the runtime and returns its result with the log lines it produced. */
export function withLiteRtLog<T>(work: () => Promise<T> | T): Promise<{ value: T; log: LogLine[] } | { error: unknown; log: LogLine[] }> {
  const run = async () => {
    pendingLog = [];
    try {
      const value = await work();
      return { value, log: takeLog() };
    } catch (error) {
      return { error, log: takeLog() };
    }
  };
  const result = queue.then(run, run);
  queue = result;
  return result;
}

function takeLog(): LogLine[] {
  const lines = pendingLog;
  pendingLog = [];
  return lines;
}

async function load(threads: number): Promise<LiteRtRuntime> {
  const packageDir = path.dirname(require.resolve('@litertjs/core/package.json'));
  const version = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const wasmDir = path.join(packageDir, 'wasm');
  const litert = (await import('@litertjs/core')) as LiteRtPackage;
  const relaxedSimd = await litert.supportsFeature('relaxedSimd');
  if (threads > 1 && !relaxedSimd) {
    throw new LiteRtLoadError(`LiteRT with ${threads} threads needs its threaded build, which needs WebAssembly relaxed SIMD: run node with --experimental-wasm-relaxed-simd (or use 1 thread)`);
  }
  const threadedScript = threads > 1 ? prepareThreadedBuild(wasmDir, version) : undefined;

  const globals = globalThis as Record<string, unknown>;
  const saved = new Map<string, { present: boolean; value: unknown }>();
  const stand = (name: string, value: unknown) => {
    if (!saved.has(name)) saved.set(name, { present: name in globals, value: globals[name] });
    globals[name] = value;
  };
  stand('self', globalThis);
  stand('require', require);
  stand('__dirname', threadedScript ? path.dirname(threadedScript) : wasmDir);
  // Emscripten's module arguments: its print/printErr replace console.log/error for the C++ side.
  stand('Module', { print: record, printErr: record });
  stand('importScripts', (url: string) => {
    // The package asks for the .js next to its .wasm; the threaded build runs from our .cjs copy
    // (see prepareThreadedBuild) so its worker threads can load the same file.
    const file = threadedScript ?? url;
    vm.runInThisContext(readFileSync(file, 'utf8'), { filename: file });
  });
  if (threadedScript) {
    stand('__filename', threadedScript);
    if (!('navigator' in globals)) stand('navigator', { hardwareConcurrency: threads });
  }
  // The package tries to open a WebGPU device when it creates its default environment and warns
  // on the console when there is none (there never is in Node); that warning goes to our log.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => record(`WARNING: ${args.map(String).join(' ')}`);
  try {
    const liteRt = await litert.loadLiteRt(`${wasmDir}/`, { threads: threads > 1 });
    return {
      wasm: liteRt.liteRtWasm,
      environment: liteRt.getDefaultEnvironment().liteRtEnvironment as LiteRtEnvironmentHandle,
      version,
      build: threadedScript ? 'threaded' : relaxedSimd ? 'relaxed-simd' : 'compat',
      threads,
    };
  } finally {
    console.warn = warn;
    // The threaded build keeps using `__filename`/`navigator` when it starts workers later, so
    // only the plain builds get their globals fully restored.
    for (const [name, { present, value }] of saved) {
      if (threadedScript && (name === '__filename' || name === 'navigator' || name === 'require' || name === '__dirname')) continue;
      if (present) globals[name] = value;
      else delete globals[name];
    }
  }
}

/**
 * The threaded build's pthread workers re-load the Emscripten script named by `__filename`.
 * Inside the package (`"type": "module"`) Node would treat that .js as ESM, so it runs from a
 * .cjs copy, next to a copy of its .wasm, in a per-version cache directory.
 */
function prepareThreadedBuild(wasmDir: string, version: string): string {
  const dir = path.join(tmpdir(), `torchport-litert-${version}`);
  const script = path.join(dir, 'litert_wasm_threaded_internal.cjs');
  const wasm = path.join(dir, 'litert_wasm_threaded_internal.wasm');
  mkdirSync(dir, { recursive: true });
  // Copy then rename, so a concurrent process never sees a half-written file.
  const place = (from: string, to: string) => {
    if (existsSync(to)) return;
    const partial = `${to}.${process.pid}.tmp`;
    copyFileSync(from, partial);
    renameSync(partial, to);
  };
  place(path.join(wasmDir, 'litert_wasm_threaded_internal.wasm'), wasm);
  place(path.join(wasmDir, 'litert_wasm_threaded_internal.js'), script);
  return script;
}
