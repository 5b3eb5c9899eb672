// Suite files (suites/<name>.json): which fixtures, which targets, which seeds, and the tolerance
// policy. This module owns their format. Tolerances live here, as data, never in code.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { TorchportError } from '../../errors.ts';
import { readFixtureLiteral } from '../../torch/index.ts';
import { parseTolerance, type Tolerance } from '../compare/index.ts';

export class SuiteFormatError extends TorchportError {
  readonly code = 'E_SUITE_FORMAT';
}

/** Tolerances by target name; "*" applies to every target without its own entry. */
export type TargetTolerances = Readonly<Record<string, unknown>>;

export interface FixtureOverrides {
  /** Why the fixture needs its overrides (kept in the file for the reader; never interpreted). */
  readonly reason?: string;
  /** By target ("*" for all), as in `targets`. */
  readonly targets: TargetTolerances;
  /** Per output name, by target. */
  readonly outputs: Readonly<Record<string, TargetTolerances>>;
}

export interface Suite {
  readonly name: string;
  /** Where the suite came from (for messages). */
  readonly path: string | null;
  /** Fixture files relative to the project root, or "*" for every suites/fixtures/*.py. */
  readonly fixtures: readonly string[];
  readonly targets: readonly string[];
  /** Seeds to run; null = every recorded seed. */
  readonly seeds: readonly number[] | null;
  readonly tolerances: { readonly targets: TargetTolerances; readonly fixtures: Readonly<Record<string, FixtureOverrides>> };
  /** A target's error may grow to `factor` x max(accepted, floor) before the ratchet fails it. */
  readonly ratchet: { readonly factor: number; readonly floor: number };
  /**
   * Skips the suite declares acceptable, each with the written reason: by target, and per fixture by
   * target. A skipped row not covered here makes the run not green.
   */
  readonly allowSkip: SkipAllowances;
  readonly structure: {
    readonly maxTranspose: number | null;
    readonly allowCustomOps: boolean;
    readonly maxSizeGrowth: number | null;
    /** Per fixture: a TRANSPOSE count the model needs (e.g. a channel shuffle), with the reason. */
    readonly fixtures: Readonly<Record<string, { readonly maxTranspose: number; readonly reason: string }>>;
  };
}

export interface SkipAllowances {
  readonly targets: Readonly<Record<string, string>>;
  readonly fixtures: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export const ALL_TARGETS = [
  'torch',
  'onnx',
  'keras',
  'tflite-fp32',
  'tflite-fp16',
  'tflite-dynamic-int8',
  'tflite-int8',
  'keras-py',
  'tflite-native-fp32',
  'tflite-native-fp16',
  'tflite-native-dynamic-int8',
  'tflite-native-int8',
  'tflite-tfconverter-fp32',
  'tflite-tfconverter-dynamic-int8',
  'tflite-tfconverter-int8',
] as const;

/**
 * Targets that run the same model as another target in another runtime (real Keras, the native
 * LiteRT interpreter) are judged by that target's tolerances unless they are given their own.
 */
const SAME_MODEL_AS: Readonly<Record<string, string>> = {
  'keras-py': 'keras',
  'tflite-native-fp32': 'tflite-fp32',
  'tflite-native-fp16': 'tflite-fp16',
  'tflite-native-dynamic-int8': 'tflite-dynamic-int8',
  'tflite-native-int8': 'tflite-int8',
  'tflite-tfconverter-fp32': 'tflite-fp32',
  'tflite-tfconverter-dynamic-int8': 'tflite-dynamic-int8',
  'tflite-tfconverter-int8': 'tflite-int8',
  // A model file from any converter (`verify --tflite / --keras`), named by engine and variant.
  'file-keras': 'keras',
  'file-keras-py': 'keras',
  'file-tflite-fp32': 'tflite-fp32',
  'file-tflite-fp16': 'tflite-fp16',
  'file-tflite-dynamic-int8': 'tflite-dynamic-int8',
  'file-tflite-int8': 'tflite-int8',
  'file-tflite-native-fp32': 'tflite-fp32',
  'file-tflite-native-fp16': 'tflite-fp16',
  'file-tflite-native-dynamic-int8': 'tflite-dynamic-int8',
  'file-tflite-native-int8': 'tflite-int8',
};

export async function loadSuite(path: string): Promise<Suite> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new SuiteFormatError(`cannot read suite ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SuiteFormatError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseSuite(raw, path);
}

export function parseSuite(raw: unknown, path: string | null): Suite {
  const where = path ?? 'suite';
  const fail = (problem: string): never => {
    throw new SuiteFormatError(`${where}: ${problem}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('must be a JSON object');
  const s = raw as Record<string, unknown>;
  const known = new Set(['name', 'description', 'fixtures', 'targets', 'seeds', 'tolerances', 'ratchet', 'structure', 'allowSkip']);
  const unknown = Object.keys(s).filter((k) => !known.has(k));
  if (unknown.length) fail(`unknown field(s) ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const strings = (value: unknown, field: string, fallback: readonly string[]): readonly string[] => {
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return fail(`"${field}" must be an array of strings`);
    return value as string[];
  };
  const targets = strings(s['targets'], 'targets', ALL_TARGETS);
  const badTargets = targets.filter((t) => !(ALL_TARGETS as readonly string[]).includes(t));
  if (badTargets.length) fail(`unknown target(s) ${badTargets.join(', ')} (known: ${ALL_TARGETS.join(', ')})`);
  const seeds = s['seeds'];
  if (seeds !== undefined && seeds !== null && !(Array.isArray(seeds) && seeds.every((x) => Number.isSafeInteger(x) && x >= 0))) fail('"seeds" must be null or an array of non-negative integers');
  const tolerances = (s['tolerances'] ?? {}) as Record<string, unknown>;
  const targetTolerances = (tolerances['targets'] ?? {}) as TargetTolerances;
  const structure = (s['structure'] ?? {}) as Record<string, unknown>;
  const targetKeys = new Set<string>([...ALL_TARGETS, '*']);
  const checkTargetKeys = (map: object, field: string): void => {
    const bad = Object.keys(map).filter((k) => !targetKeys.has(k));
    if (bad.length) fail(`${field} has unknown target(s) ${bad.join(', ')} (known: ${[...targetKeys].join(', ')})`);
  };
  checkTargetKeys(targetTolerances, 'tolerances.targets');
  const fixtures: Record<string, FixtureOverrides> = {};
  for (const [name, value] of Object.entries((tolerances['fixtures'] ?? {}) as Record<string, Record<string, unknown>>)) {
    const { outputs, reason, ...byTarget } = value;
    if (reason !== undefined && typeof reason !== 'string') fail(`tolerances.fixtures.${name}.reason must be a string`);
    checkTargetKeys(byTarget, `tolerances.fixtures.${name}`);
    for (const [output, map] of Object.entries((outputs ?? {}) as Record<string, object>)) checkTargetKeys(map, `tolerances.fixtures.${name}.outputs.${output}`);
    fixtures[name] = { ...(typeof reason === 'string' ? { reason } : {}), targets: byTarget, outputs: (outputs ?? {}) as Record<string, TargetTolerances> };
  }
  const structureFixtures: Record<string, { maxTranspose: number; reason: string }> = {};
  for (const [name, value] of Object.entries((structure['fixtures'] ?? {}) as Record<string, Record<string, unknown>>)) {
    const maxTranspose = optionalCount(value['maxTranspose'], `${where}: structure.fixtures.${name}.maxTranspose`);
    if (maxTranspose === null || typeof value['reason'] !== 'string') fail(`structure.fixtures.${name} must be {"maxTranspose": N, "reason": "why the model needs them"}`);
    structureFixtures[name] = { maxTranspose: maxTranspose!, reason: value['reason'] as string };
  }
  const ratchet = (s['ratchet'] ?? {}) as Record<string, unknown>;
  const allowSkip = parseSkipAllowances(s['allowSkip'], fail, targetKeys);
  const suite: Suite = {
    name: typeof s['name'] === 'string' ? s['name'] : path ? basename(path).replace(/\.json$/, '') : 'suite',
    path,
    fixtures: strings(s['fixtures'], 'fixtures', ['*']),
    targets,
    seeds: (seeds as number[] | null | undefined) ?? null,
    tolerances: { targets: targetTolerances, fixtures },
    allowSkip,
    ratchet: { factor: positive(ratchet['factor'], 2, `${where}: ratchet.factor`), floor: positive(ratchet['floor'], 1e-7, `${where}: ratchet.floor`) },
    structure: {
      maxTranspose: optionalCount(structure['maxTranspose'], `${where}: structure.maxTranspose`),
      allowCustomOps: structure['allowCustomOps'] === true,
      maxSizeGrowth: structure['maxSizeGrowth'] === undefined || structure['maxSizeGrowth'] === null ? null : positive(structure['maxSizeGrowth'], 0, `${where}: structure.maxSizeGrowth`),
      fixtures: structureFixtures,
    },
  };
  // Parse every tolerance now, so a typo fails before anything runs.
  for (const target of [...ALL_TARGETS, '*']) resolveTolerance(suite, null, '', target, 'output_0');
  for (const [fixture, overrides] of Object.entries(fixtures)) {
    for (const target of targets) {
      resolveTolerance(suite, null, fixture, target, 'output_0');
      for (const output of Object.keys(overrides.outputs)) resolveTolerance(suite, null, fixture, target, output);
    }
  }
  return suite;
}

function parseSkipAllowances(value: unknown, fail: (problem: string) => never, targetKeys: ReadonlySet<string>): SkipAllowances {
  if (value === undefined) return { targets: {}, fixtures: {} };
  const object = (v: unknown, field: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`"${field}" must be an object`);
  const reasons = (v: unknown, field: string): Record<string, string> => {
    const map = object(v, field);
    for (const [target, reason] of Object.entries(map)) {
      if (!targetKeys.has(target)) fail(`${field} has unknown target ${target} (known: ${[...targetKeys].join(', ')})`);
      if (typeof reason !== 'string' || reason.trim().length === 0) fail(`${field}.${target} must be the written reason the skip is acceptable`);
    }
    return map as Record<string, string>;
  };
  const raw = object(value, 'allowSkip');
  const unknown = Object.keys(raw).filter((k) => k !== 'targets' && k !== 'fixtures');
  if (unknown.length) fail(`allowSkip has unknown field(s) ${unknown.join(', ')} (known: targets, fixtures)`);
  const fixtures: Record<string, Record<string, string>> = {};
  for (const [name, map] of Object.entries(object(raw['fixtures'] ?? {}, 'allowSkip.fixtures'))) fixtures[name] = reasons(map, `allowSkip.fixtures.${name}`);
  return { targets: reasons(raw['targets'] ?? {}, 'allowSkip.targets'), fixtures };
}

/** Why the suite accepts a skip of this model on this target, or null when it does not. */
export function skipAllowance(suite: Suite, model: string, target: string): string | null {
  const perFixture = suite.allowSkip.fixtures[model];
  return perFixture?.[target] ?? perFixture?.['*'] ?? suite.allowSkip.targets[target] ?? suite.allowSkip.targets['*'] ?? null;
}

/** The suite with skips of these targets allowed (a caller's `--allow-skip`), the reason saying who allowed them. */
export function allowSkips(suite: Suite, targets: readonly string[], reason: string): Suite {
  const allowed = { ...suite.allowSkip.targets };
  for (const target of targets) allowed[target] = reason;
  return { ...suite, allowSkip: { ...suite.allowSkip, targets: allowed } };
}

function positive(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new SuiteFormatError(`${where} must be a non-negative number, got ${JSON.stringify(value)}`);
  return value;
}

function optionalCount(value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new SuiteFormatError(`${where} must be a non-negative integer or null`);
  return value as number;
}

/** Targets whose outputs are float32 computations: a fixture's plain TOLERANCE applies to them. */
const FLOAT32_TARGETS = new Set([
  'torch',
  'onnx',
  'keras',
  'tflite-fp32',
  'keras-py',
  'tflite-native-fp32',
  'tflite-tfconverter-fp32',
  'file-keras',
  'file-keras-py',
  'file-tflite-fp32',
  'file-tflite-native-fp32',
]);

/**
 * The tolerance for one output of one model on one target. Layers, later ones winning:
 * the float32 default, the suite's per-target tolerances, the fixture's TOLERANCE (a plain
 * tolerance for float32 targets, or a map by target), the suite's per-fixture overrides, the
 * suite's per-output overrides.
 */
export function resolveTolerance(suite: Suite, fixtureTolerance: unknown, model: string, target: string, output: string): Tolerance {
  const sameModel = SAME_MODEL_AS[target];
  const pick = (byTarget: TargetTolerances | undefined): unknown => (byTarget ? (byTarget[target] ?? (sameModel === undefined ? undefined : byTarget[sameModel]) ?? byTarget['*']) : undefined);
  let tolerance: Tolerance = parseTolerance(pick(suite.tolerances.targets), undefined, `${suite.path ?? suite.name}: tolerances.targets.${target}`);
  if (fixtureTolerance !== null && fixtureTolerance !== undefined) {
    const isMap = typeof fixtureTolerance === 'object' && Object.keys(fixtureTolerance).some((k) => k === '*' || (ALL_TARGETS as readonly string[]).includes(k));
    const value = isMap ? pick(fixtureTolerance as TargetTolerances) : FLOAT32_TARGETS.has(target) ? fixtureTolerance : undefined;
    tolerance = parseTolerance(value, tolerance, `fixture ${model}: TOLERANCE`);
  }
  const overrides = suite.tolerances.fixtures[model];
  if (overrides) {
    tolerance = parseTolerance(pick(overrides.targets), tolerance, `${suite.path ?? suite.name}: tolerances.fixtures.${model}.${target}`);
    tolerance = parseTolerance(pick(overrides.outputs[output]), tolerance, `${suite.path ?? suite.name}: tolerances.fixtures.${model}.outputs.${output}.${target}`);
  }
  return tolerance;
}

/**
 * Per-target tolerances of a project without suites/default.json: the float32 default everywhere,
 * and each reduced-precision variant judged by its own rule (README "Tolerances"), never by float32's.
 */
const BUILT_IN_TARGET_TOLERANCES = {
  // Float32 targets: the float64 error budget (docs/tolerances.md); a golden without float64 answers falls back to the scaled rule.
  '*': { rule: 'float64-budget' },
  // Float16 weights: the float16 error budget; a golden without the float16-weights record falls back to the relative rule.
  'tflite-fp16': { rule: 'float16-budget' },
  'tflite-dynamic-int8': { rule: 'quant-steps', steps: 4, minCosine: 0.99, fallbackRelError: 0.05 },
  'tflite-int8': { rule: 'quant-steps', steps: 4, minCosine: 0.99, fallbackRelError: 0.05 },
};

/** The suite used when none is named: every fixture, every target, the built-in per-target tolerances. */
export function defaultSuite(targets: readonly string[] = ALL_TARGETS): Suite {
  return parseSuite({ name: 'default', targets, tolerances: { targets: BUILT_IN_TARGET_TOLERANCES } }, null);
}

/**
 * Checks a fixture's TOLERANCE (a plain tolerance for the float32 targets, or a map by target)
 * against every target, so a typo fails when the golden is recorded, not in a later run.
 */
export function checkFixtureTolerance(value: unknown, where: string): void {
  const base = defaultSuite();
  try {
    for (const target of ALL_TARGETS) resolveTolerance(base, value, where, target, 'output_0');
  } catch (error) {
    if (error instanceof TorchportError) throw new SuiteFormatError(`${where}: ${error.message}`);
    throw error;
  }
}

/**
 * A fixture's TOLERANCE, read from its source (policy lives in the fixture, never in the golden's
 * recorded data; read without Python so that verify works where torch is absent) and checked
 * against every target. Undefined when the fixture has none.
 */
export async function fixtureTolerance(fixturePath: string): Promise<unknown> {
  const source = await readFile(fixturePath, 'utf8');
  const value = readFixtureLiteral(source, 'TOLERANCE', fixturePath);
  if (value !== undefined) checkFixtureTolerance(value, `fixture ${fixturePath}: TOLERANCE`);
  return value;
}
