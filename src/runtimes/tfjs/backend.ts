// The one place that decides which TensorFlow.js backend runs Keras models.
//
// Order in `auto` mode: tfjs-node (native TensorFlow, when a user installed it: it cannot be
// installed on machines without access to TensorFlow's download host), then the WebAssembly
// backend (XNNPACK kernels, an order of magnitude faster than `cpu`), then the pure-JS `cpu`
// backend as the slow fallback. TORCHPORT_TFJS_BACKEND forces one of them.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ENV, readConfig, type TfjsBackendKind, type TfjsBackendRequest } from '../../config/index.ts';
import { TorchportError } from '../../errors.ts';
import { patchWasmKernels } from './wasm_kernels.ts';

/** The backend could not be set up (or the override names an unknown one). */
export class TfjsBackendError extends TorchportError {
  readonly code = 'E_TFJS_BACKEND';
}

export interface TfjsBackendStatus {
  readonly kind: TfjsBackendKind;
  /** The name tfjs registers the backend under (tf.getBackend()). */
  readonly tfjsName: string;
  readonly requested: TfjsBackendRequest;
  readonly threads: number;
  /** Backends tried before this one in `auto` mode, and why each was passed over. */
  readonly skipped: ReadonlyArray<{ readonly kind: TfjsBackendKind; readonly reason: string }>;
}

interface BackendStrategy {
  readonly tfjsName: string;
  /** Makes the backend registrable; throws with the reason when it cannot be. */
  prepare(): Promise<void>;
  threads(): number;
}

// A variable specifier keeps TypeScript from requiring tfjs-node's types: it is an optional peer.
const TFJS_NODE_PACKAGE: string = '@tensorflow/tfjs-node';

let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm') | undefined;

const STRATEGIES: Readonly<Record<TfjsBackendKind, BackendStrategy>> = {
  node: {
    tfjsName: 'tensorflow',
    async prepare() {
      // Importing tfjs-node registers the 'tensorflow' backend as a side effect.
      try {
        await import(TFJS_NODE_PACKAGE);
      } catch (error) {
        const missing = (error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
        throw new Error(missing ? `${TFJS_NODE_PACKAGE} is not installed` : `${TFJS_NODE_PACKAGE} failed to load: ${(error as Error).message}`, { cause: error });
      }
    },
    threads: () => 0, // native TensorFlow sizes its own thread pool; 0 = engine default
  },
  wasm: {
    tfjsName: 'wasm',
    async prepare() {
      if (wasmModule) return;
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Under Node the backend cannot fetch its .wasm files relative to a page: point it at the
      // package's dist/ folder on disk (trailing slash required, it is used as a prefix).
      const require = createRequire(import.meta.url);
      const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
      wasm.setWasmPaths(dist);
      patchWasmKernels();
      wasmModule = wasm;
    },
    threads: () => wasmModule?.getThreadsCount() ?? 1,
  },
  cpu: {
    tfjsName: 'cpu',
    async prepare() {},
    threads: () => 1,
  },
};

const AUTO_ORDER: readonly TfjsBackendKind[] = ['node', 'wasm', 'cpu'];

let active: TfjsBackendStatus | undefined;
let pending: Promise<TfjsBackendStatus> | undefined;

/**
 * Selects and initialises the tfjs backend. Without an argument the request comes from
 * TORCHPORT_TFJS_BACKEND (default `auto`). Repeated calls with the same request return the
 * backend already chosen; a different explicit request switches backends.
 */
export async function initTfjsBackend(request: TfjsBackendRequest = readConfig().tfjsBackend): Promise<TfjsBackendStatus> {
  if (pending) {
    const current = await pending;
    if (request === 'auto' || request === current.kind) return current;
  }
  pending = select(request);
  try {
    active = await pending;
    return active;
  } catch (error) {
    pending = undefined;
    throw error;
  }
}

/** The backend in use, or undefined before `initTfjsBackend` has succeeded. */
export function activeTfjsBackend(): TfjsBackendStatus | undefined {
  return active;
}

/** One line for logs and reports, e.g. "wasm (1 thread)". */
export function describeTfjsBackend(status: TfjsBackendStatus): string {
  const threads = status.threads === 0 ? 'engine default threads' : `${status.threads} thread${status.threads === 1 ? '' : 's'}`;
  const skipped = status.skipped.map((s) => `${s.kind}: ${s.reason}`).join('; ');
  return `${status.kind} (${threads})${skipped ? ` [skipped ${skipped}]` : ''}`;
}

async function select(request: TfjsBackendRequest): Promise<TfjsBackendStatus> {
  const candidates = request === 'auto' ? AUTO_ORDER : [request];
  const skipped: Array<{ kind: TfjsBackendKind; reason: string }> = [];
  for (const kind of candidates) {
    const reason = await tryActivate(kind);
    if (reason === undefined) {
      const strategy = STRATEGIES[kind];
      return { kind, tfjsName: strategy.tfjsName, requested: request, threads: strategy.threads(), skipped };
    }
    skipped.push({ kind, reason });
  }
  const causes = skipped.map((s) => `  ${s.kind}: ${s.reason}`).join('\n');
  const hint = request === 'auto' ? '' : ` (set ${ENV.tfjsBackend}=auto to fall back to another backend)`;
  throw new TfjsBackendError(`no TensorFlow.js backend could be initialised${hint}:\n${causes}`);
}

/** Returns undefined on success, else why the backend is unavailable. */
async function tryActivate(kind: TfjsBackendKind): Promise<string | undefined> {
  const strategy = STRATEGIES[kind];
  try {
    await strategy.prepare();
  } catch (error) {
    return (error as Error).message;
  }
  if (tf.findBackendFactory(strategy.tfjsName) === null) return `tfjs has no '${strategy.tfjsName}' backend registered`;
  try {
    const ok = await tf.setBackend(strategy.tfjsName);
    if (!ok) return `tfjs could not initialise the '${strategy.tfjsName}' backend`;
    await tf.ready();
  } catch (error) {
    return `initialisation failed: ${(error as Error).message}`;
  }
  return undefined;
}
