// Every environment variable torchport reads, parsed here once into a typed TorchportConfig that
// the CLI builds at start-up and passes down. No other module reads torchport's variables: a
// new variable is one field, one parser and one line in docs/cli.md.
import { TorchportError } from '../errors.ts';

/** An environment variable holds a value torchport cannot use. */
export class ConfigError extends TorchportError {
  readonly code = 'E_CONFIG';
}

export const TFJS_BACKEND_KINDS = ['node', 'wasm', 'cpu'] as const;
export type TfjsBackendKind = (typeof TFJS_BACKEND_KINDS)[number];
export type TfjsBackendRequest = TfjsBackendKind | 'auto';

/** Planted slowdown fraction by target name (empty: no hook). */
export type SlowdownPlan = ReadonlyMap<string, number>;

export const ENV = {
  ci: 'CI',
  python: 'TORCHPORT_PYTHON',
  tfPython: 'TORCHPORT_TF_PYTHON',
  basePython: 'TORCHPORT_BASE_PYTHON',
  bridgeTimeoutMs: 'TORCHPORT_BRIDGE_TIMEOUT_MS',
  tfjsBackend: 'TORCHPORT_TFJS_BACKEND',
  suite: 'TORCHPORT_SUITE',
  benchSlowdown: 'TORCHPORT_BENCH_INJECT_SLOWDOWN',
  fuzzSeed: 'TORCHPORT_FUZZ_SEED',
} as const;

export interface TorchportConfig {
  /** Running under CI: goldens are never written, progress prints plain lines, missing setup fails tests. */
  readonly ci: boolean;
  /** TORCHPORT_PYTHON: the interpreter with torch (undefined: search the usual candidates). */
  readonly python: string | undefined;
  /** TORCHPORT_TF_PYTHON: the interpreter of the TensorFlow-side worker. */
  readonly tfPython: string | undefined;
  /** TORCHPORT_BASE_PYTHON: the Python `npm run setup` makes .venv from. */
  readonly basePython: string;
  /** TORCHPORT_BRIDGE_TIMEOUT_MS: how long one bridge request may take. */
  readonly bridgeTimeoutMs: number;
  readonly tfjsBackend: TfjsBackendRequest;
  /** TORCHPORT_SUITE: the suite of the vitest parity tests (undefined: suites/default.json). */
  readonly suite: string | undefined;
  /** TORCHPORT_BENCH_INJECT_SLOWDOWN: the test-only planted slowdown of `torchport bench`. */
  readonly benchSlowdown: SlowdownPlan;
  /** TORCHPORT_FUZZ_SEED: the seed of the fast-check tests (unset: fixed under CI, fresh locally). */
  readonly fuzzSeed: number | undefined;
}

export const DEFAULT_BRIDGE_TIMEOUT_MS = 120_000;

/**
 * Parses the environment; every malformed variable is reported at once, each with what it holds
 * and what it may hold.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): TorchportConfig {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T, fallback: T): T => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return fallback;
    }
  };
  const config: TorchportConfig = {
    ci: parseCI(env[ENV.ci]),
    python: nonEmpty(env[ENV.python]),
    tfPython: nonEmpty(env[ENV.tfPython]),
    basePython: nonEmpty(env[ENV.basePython]) ?? 'python3',
    bridgeTimeoutMs: attempt(() => parseTimeout(env[ENV.bridgeTimeoutMs]), DEFAULT_BRIDGE_TIMEOUT_MS),
    tfjsBackend: attempt(() => parseTfjsBackendRequest(env[ENV.tfjsBackend]), 'auto'),
    suite: nonEmpty(env[ENV.suite]),
    benchSlowdown: attempt(() => parseSlowdownHook(env[ENV.benchSlowdown]), new Map()),
    fuzzSeed: attempt(() => parseSeed(env[ENV.fuzzSeed]), undefined),
  };
  if (problems.length) throw new ConfigError(`environment: ${problems.join('; ')}`);
  return config;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** CI is on when CI is set to anything but "" / "0" / "false" (as vitest and most CI tools read it). */
export function parseCI(value: string | undefined): boolean {
  const text = value?.trim().toLowerCase();
  return text !== undefined && text !== '' && text !== '0' && text !== 'false';
}

function parseTimeout(value: string | undefined): number {
  const text = nonEmpty(value);
  if (text === undefined) return DEFAULT_BRIDGE_TIMEOUT_MS;
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new ConfigError(`${ENV.bridgeTimeoutMs}=${JSON.stringify(value)} is not a positive whole number of milliseconds (default ${DEFAULT_BRIDGE_TIMEOUT_MS})`);
  return ms;
}

function parseSeed(value: string | undefined): number | undefined {
  const text = nonEmpty(value);
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new ConfigError(`${ENV.fuzzSeed}=${JSON.stringify(value)} is not a whole number`);
  return seed;
}

export function parseTfjsBackendRequest(value: string | undefined): TfjsBackendRequest {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'auto') return 'auto';
  if ((TFJS_BACKEND_KINDS as readonly string[]).includes(text)) return text as TfjsBackendKind;
  throw new ConfigError(`${ENV.tfjsBackend}=${JSON.stringify(value)} is not a backend: use one of auto, ${TFJS_BACKEND_KINDS.join(', ')}`);
}

/** `<target>:<fraction>[,<target>:<fraction>...]`, e.g. `onnx:0.25` (see src/bench/slowdown.ts). */
export function parseSlowdownHook(value: string | undefined): SlowdownPlan {
  const text = value?.trim();
  const plan = new Map<string, number>();
  if (!text) return plan;
  const problems: string[] = [];
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9_.-]+):([0-9]*\.?[0-9]+)$/.exec(entry);
    const fraction = match ? Number(match[2]) : NaN;
    if (!match || !(fraction > 0 && fraction <= 10)) problems.push(`"${entry}" is not <target>:<fraction> with 0 < fraction <= 10`);
    else if (plan.has(match[1]!)) problems.push(`target ${match[1]} is named twice`);
    else plan.set(match[1]!, fraction);
  }
  if (problems.length) throw new ConfigError(`${ENV.benchSlowdown}=${text}: ${problems.join('; ')} (example: onnx:0.25); it is a test-only hook, unset it for real runs`);
  return plan;
}
