// golden/<name>/manifest.json: the one file that says what a golden holds. This module owns its
// on-disk format; everything else goes through `parseManifest` and the `GoldenManifest` type.
import { TorchportError } from '../errors.ts';
import { isDType, parseInputDistribution, type DType, type InputDistribution } from '../tensor/index.ts';
import { sha256 } from '../util/index.ts';
import { parseFloat16WeightsRecord, type Float16WeightsRecord } from './float16-weights-record.ts';
import { parseFloat64Record, type Float64Record } from './float64-record.ts';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'torchport-golden';
/**
 * 2 adds `dependencies`, `waiver` and one `digest`; 3 drops `tolerance` (policy is read from the
 * fixture and the suite, never from recorded data) and keeps a digest per field (`digests`), so a
 * hand edit is named. Versions 1 and 2 still parse; 1 fails `golden verify`.
 */
export const MANIFEST_VERSION = 3;
export const WEIGHTS_FILE = 'weights.safetensors';
export const GRAPH_FILE = 'graph.json';
export const CONSTANTS_FILE = 'constants.safetensors';
/** Every intermediate value of the first seed's run, by graph value id (for first-divergence reports). */
export const ACTIVATIONS_FILE = 'activations.safetensors';
/** torch.onnx.export of the model: the baseline most users would otherwise ship. */
export const ONNX_FILE = 'model.onnx';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface GoldenManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: 1 | 2 | typeof MANIFEST_VERSION;
  readonly name: string;
  /** The fixture file, relative to the golden's directory, and its SHA-256 when recorded. */
  readonly fixture: { readonly path: string; readonly sha256: string };
  readonly createdAt: string;
  readonly torch: { readonly version: string; readonly python: string };
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly inputDistribution: InputDistribution;
  readonly seeds: readonly number[];
  /** The captured graph (graph.json, constants, first-seed activations), or why capture failed. */
  readonly graph: { readonly nodes: number } | { readonly error: string };
  /** The ONNX export (model.onnx), or why torch.onnx.export failed. */
  readonly onnx: { readonly opset: number } | { readonly error: string };
  /**
   * The error level each target reached when it was last accepted (`--update`), and its model size:
   * the drift ratchet fails a run whose error grows well past it even while under tolerance.
   */
  readonly accepted: Readonly<Record<string, AcceptedLevel>>;
  /** SHA-256 of every other file of the golden, by path relative to its directory. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * SHA-256 of every project file the golden depends on besides the fixture (local modules it
   * imports, files build() read, e.g. a checkpoint), by path relative to the golden's directory.
   */
  readonly dependencies: Readonly<Record<string, string>>;
  /** The fixture's DISCRIMINATION_WAIVER: why outputs that cannot tell a broken converter apart are accepted. */
  readonly waiver: string | null;
  /** PyTorch's float64 outputs (files under float64/), or why the model cannot run in float64; absent in older goldens. */
  readonly float64?: Float64Record;
  /** What float16 weights cost on the model in float64 (max|r16w - r64| by seed and output), or why it is unknown; absent in older goldens. */
  readonly float16Weights?: Float16WeightsRecord;
}

export interface AcceptedLevel {
  readonly maxAbsDiff: number;
  readonly bytes?: number;
  readonly acceptedAt: string;
}

export class GoldenManifestError extends TorchportError {
  readonly code = 'E_GOLDEN_MANIFEST';
}

/** Where each seed's tensors live inside a golden directory. */
function seedDir(seed: number): string {
  return `seed-${seed}`;
}
export function inputFile(seed: number, name: string): string {
  return `${seedDir(seed)}/${name}.npy`;
}
export function outputFile(seed: number, name: string): string {
  return `${seedDir(seed)}/${name}.npy`;
}

/**
 * Writes the manifest in the current format with a digest per recorded field (the SHA-256 of the
 * field's canonical JSON), so a hand edit of any of them (the accepted levels, the seeds, a shape,
 * a file hash) is detected by `golden verify` and named.
 */
export function serializeManifest(manifest: GoldenManifest): string {
  const files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => a.localeCompare(b)));
  const body = { ...manifest, version: MANIFEST_VERSION, files } as Record<string, unknown>;
  delete body['digests'];
  delete body['digest'];
  const digests = Object.fromEntries(Object.keys(body).map((field) => [field, fieldDigest(body[field])]));
  return `${JSON.stringify({ ...body, digests }, null, 2)}\n`;
}

/**
 * The recorded fields whose content no longer matches the digest written with them (a hand edit),
 * each in words; `fix` says how to get a valid golden back. Empty when the manifest is intact.
 */
export function manifestEdits(text: string, fix: string): string[] {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (raw['version'] === 1) return ['manifest.json is format 1: it has no digest and records no dependencies; re-record the golden with `golden add --update`'];
  if (raw['version'] === 2) {
    const { digest, ...body } = raw;
    if (typeof digest === 'string' && digest === manifestDigest(body)) return [];
    return [`manifest.json: recorded fields were edited by hand (format 2 has one digest for all of them); ${fix}`];
  }
  const { digests, ...body } = raw;
  if (typeof digests !== 'object' || digests === null || Array.isArray(digests)) return [`manifest.json has no "digests": it was not written by torchport; ${fix}`];
  const recorded = digests as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of Object.keys(body)) {
    if (!(field in recorded)) problems.push(`manifest.json: "${field}" is not a recorded field (added by hand${field === 'tolerance' ? '; tolerances belong in the fixture\'s TOLERANCE or the suite' : ''}); ${fix}`);
    else if (recorded[field] !== fieldDigest(body[field])) problems.push(`manifest.json: "${field}" was edited by hand since the golden was recorded (its digest no longer matches); ${fix}`);
  }
  for (const field of Object.keys(recorded)) if (!(field in body)) problems.push(`manifest.json: "${field}" was removed by hand; ${fix}`);
  return problems;
}

function fieldDigest(value: unknown): string {
  return sha256(canonicalJson(value ?? null));
}

/** Format 2's single digest over every other field. */
function manifestDigest(body: Record<string, unknown>): string {
  return sha256(canonicalJson(body));
}

/** JSON with object keys sorted at every level: the same content always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function parseManifest(text: string, where: string): GoldenManifest {
  const fail = (problem: string): never => {
    throw new GoldenManifestError(`${where}: ${problem}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m['format'] !== MANIFEST_FORMAT) fail(`"format" must be "${MANIFEST_FORMAT}", got ${JSON.stringify(m['format'])}`);
  if (m['version'] !== MANIFEST_VERSION && m['version'] !== 2 && m['version'] !== 1) fail(`unsupported manifest version ${JSON.stringify(m['version'])} (this torchport reads versions 1 to ${MANIFEST_VERSION})`);
  const text_ = (value: unknown, field: string): string => (typeof value === 'string' && value.length > 0 ? value : fail(`"${field}" must be a non-empty string`));
  const object = (value: unknown, field: string): Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : fail(`"${field}" must be an object`);
  const specs = (value: unknown, field: string): TensorSpec[] => {
    if (!Array.isArray(value) || value.length === 0) return fail(`"${field}" must be a non-empty array`);
    return value.map((entry, i) => {
      const spec = object(entry, `${field}[${i}]`);
      const name = text_(spec['name'], `${field}[${i}].name`);
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) fail(`"${field}[${i}].name" ${JSON.stringify(name)} is not a safe file name`);
      const shape = spec['shape'];
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`"${field}[${i}].shape" must be an array of non-negative integers`);
      const dtype = spec['dtype'];
      if (typeof dtype !== 'string' || !isDType(dtype)) return fail(`"${field}[${i}].dtype" ${JSON.stringify(dtype)} is not a known dtype`);
      return { name, shape: shape as number[], dtype };
    });
  };
  const fixture = object(m['fixture'], 'fixture');
  const torch = object(m['torch'], 'torch');
  const seeds = m['seeds'];
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((s) => Number.isSafeInteger(s) && s >= 0)) fail('"seeds" must be a non-empty array of non-negative integers');
  const files = object(m['files'], 'files');
  for (const [path, hash] of Object.entries(files)) {
    if (path.includes('..') || path.startsWith('/') || path.includes('\\')) fail(`"files" names ${JSON.stringify(path)}, which is outside the golden directory`);
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) fail(`"files"["${path}"] must be a SHA-256 hex digest`);
  }
  const dependencies = m['dependencies'] === undefined ? {} : object(m['dependencies'], 'dependencies');
  for (const [path, hash] of Object.entries(dependencies)) {
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) fail(`"dependencies"["${path}"] must be a SHA-256 hex digest`);
  }
  const waiver = m['waiver'] ?? null;
  const float64 = parseFloat64Record(m['float64'], fail);
  const float16Weights = parseFloat16WeightsRecord(m['float16Weights'], fail);
  if (waiver !== null && (typeof waiver !== 'string' || waiver.trim() === '')) fail('"waiver" must be null or the written reason');
  return {
    format: MANIFEST_FORMAT,
    version: m['version'] as GoldenManifest['version'],
    name: text_(m['name'], 'name'),
    fixture: { path: text_(fixture['path'], 'fixture.path'), sha256: text_(fixture['sha256'], 'fixture.sha256') },
    createdAt: text_(m['createdAt'], 'createdAt'),
    torch: { version: text_(torch['version'], 'torch.version'), python: text_(torch['python'], 'torch.python') },
    inputs: specs(m['inputs'], 'inputs'),
    outputs: specs(m['outputs'], 'outputs'),
    inputDistribution: parseInputDistribution(m['inputDistribution'], `${where}: inputDistribution`),
    seeds: seeds as number[],
    graph: parseGraphRecord(m['graph'], fail),
    onnx: parseOnnxRecord(m['onnx'], fail),
    accepted: parseAccepted(m['accepted'], fail),
    files: files as Record<string, string>,
    dependencies: dependencies as Record<string, string>,
    waiver: waiver as string | null,
    ...(float64 ? { float64 } : {}),
    ...(float16Weights ? { float16Weights } : {}),
  };
}

function parseGraphRecord(value: unknown, fail: (problem: string) => never): GoldenManifest['graph'] {
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record['nodes'] === 'number') return { nodes: record['nodes'] };
    if (typeof record['error'] === 'string') return { error: record['error'] };
  }
  return fail('"graph" must be {"nodes": N} or {"error": "..."}');
}

function parseOnnxRecord(value: unknown, fail: (problem: string) => never): GoldenManifest['onnx'] {
  if (value === undefined) return { error: 'not recorded (the golden predates ONNX export); re-record it with `golden add --update`' };
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record['opset'] === 'number') return { opset: record['opset'] };
    if (typeof record['error'] === 'string') return { error: record['error'] };
  }
  return fail('"onnx" must be {"opset": N} or {"error": "..."}');
}

function parseAccepted(value: unknown, fail: (problem: string) => never): Record<string, AcceptedLevel> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('"accepted" must be an object by target');
  for (const [target, level] of Object.entries(value)) {
    const l = level as Record<string, unknown>;
    if (typeof l !== 'object' || l === null || typeof l['maxAbsDiff'] !== 'number' || typeof l['acceptedAt'] !== 'string') fail(`"accepted.${target}" must be {"maxAbsDiff": number, "acceptedAt": string}`);
  }
  return value as Record<string, AcceptedLevel>;
}
