import { isDeepStrictEqual } from 'node:util';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { TorchportError } from '../errors.ts';
import { decodeNpy, encodeNpy, isDType, parseInputDistribution, seededInputs, type Tensor } from '../tensor/index.ts';
import { BridgeRequestError, FixtureLiteralError, decodeSafetensors, readFixtureLiteral, parseCapturedGraph, type CapturedGraph, type FixtureHandle, type TorchBridge } from '../torch/index.ts';
import { cleanupOnInterrupt, listFilesRecursive, processAlive, publishDirectory, replaceDirectory, sha256, sha256File, temporaryOwner, temporarySibling, writeFileAtomic } from '../util/index.ts';
import { recordFloat64, type RecordedSeed } from './float64-record.ts';
import { recordFloat16Weights } from './float16-weights-record.ts';
import { DISCRIMINATION_FIX, discriminationProblems } from './discrimination.ts';
import {
  ACTIVATIONS_FILE,
  CONSTANTS_FILE,
  GRAPH_FILE,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  GoldenManifestError,
  ONNX_FILE,
  MANIFEST_VERSION,
  WEIGHTS_FILE,
  inputFile,
  manifestEdits,
  outputFile,
  parseManifest,
  serializeManifest,
  type AcceptedLevel,
  type GoldenManifest,
  type TensorSpec,
} from './manifest.ts';

export const DEFAULT_SEED_COUNT = 3;

export class GoldenExistsError extends TorchportError {
  readonly code = 'E_GOLDEN_EXISTS';
}
export class GoldenMissingError extends TorchportError {
  readonly code = 'E_GOLDEN_MISSING';
}
/** Refused because goldens are never written under CI. */
export class GoldenWriteRefusedError extends TorchportError {
  readonly code = 'E_GOLDEN_CI';
}
export class GoldenNameError extends TorchportError {
  readonly code = 'E_GOLDEN_NAME';
}
/** Refused because the recorded outputs could not tell a broken converter from a correct one. */
export class GoldenDiscriminationError extends TorchportError {
  readonly code = 'E_GOLDEN_DISCRIMINATION';
}

export interface RecordOptions {
  readonly goldenRoot: string;
  readonly name?: string;
  readonly seedCount?: number;
  /** Replace an existing golden of the same name. */
  readonly update?: boolean;
  /** True under CI: nothing may be written. */
  readonly ci: boolean;
  /** Export model.onnx (default true); without it the onnx target has nothing to run. */
  readonly onnx?: boolean;
  /** Keep every intermediate value of the first seed (default true); without them a failure gets no per-layer diagnosis. */
  readonly activations?: boolean;
  /** Run the model in float64 too (default true); without it the float64-budget rule falls back to `scaled`. */
  readonly float64?: boolean;
}

/** The golden name a fixture file gets by default: its base name without .py. */
export function goldenNameOf(fixturePath: string): string {
  return basename(fixturePath).replace(/\.py$/, '');
}

export function checkGoldenName(name: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name)) {
    throw new GoldenNameError(`golden name ${JSON.stringify(name)} must use letters, digits, '_', '-', '.' and not start with '.'`);
  }
  return name;
}

/** How to record a golden, for messages that tell the user what to run. */
export function recordCommand(fixturePath: string, name?: string): string {
  return `npx torchport golden add ${relative(process.cwd(), fixturePath) || fixturePath}${name && name !== goldenNameOf(fixturePath) ? ` --name ${name}` : ''}`;
}

/**
 * Records golden/<name>/ for a fixture: the manifest, the state_dict as safetensors, and per seed
 * the seeded inputs and PyTorch's outputs as .npy. Everything is written into a hidden staging
 * directory first and moved into place at the end, so an interrupted recording never leaves a
 * golden that verifies.
 */
export async function recordGolden(bridge: TorchBridge, fixturePath: string, options: RecordOptions): Promise<GoldenManifest> {
  const name = checkGoldenName(options.name ?? goldenNameOf(fixturePath));
  const target = join(options.goldenRoot, name);
  if (options.ci) {
    throw new GoldenWriteRefusedError(`refusing to write golden ${name} under CI (CI is set); record it locally with \`${recordCommand(fixturePath, name)}\` and commit it`);
  }
  if (!options.update && (await exists(target))) throw existsError(name, target);
  const seedCount = options.seedCount ?? DEFAULT_SEED_COUNT;
  if (!Number.isSafeInteger(seedCount) || seedCount < 1 || seedCount > 100) throw new GoldenNameError(`seed count must be an integer from 1 to 100, got ${seedCount}`);

  const fixtureBytes = await readFile(fixturePath).catch((error: unknown) => {
    throw new GoldenMissingError(`cannot read fixture ${fixturePath}: ${(error as Error).message}`);
  });
  const fixture = await bridge.loadFixture(fixturePath);
  const where = `fixture ${fixturePath}`;
  const inputDistribution = parseInputDistribution(fixture.inputDistribution, `${where}: INPUT_DISTRIBUTION`);
  const tolerance = fixture.tolerance ?? null;
  // verify reads TOLERANCE from the fixture's source (it must work without torch, and never from
  // the manifest): the value the fixture evaluates to must be the one its source spells. Whether
  // the tolerance itself is valid is the suite's to say (harness fixtureTolerance, run by callers).
  const spelled = readFixtureLiteral(fixtureBytes.toString('utf8'), 'TOLERANCE', fixturePath) ?? null;
  if (!isDeepStrictEqual(spelled, tolerance)) {
    throw new FixtureLiteralError(
      `${where}: TOLERANCE evaluates to ${JSON.stringify(tolerance)} when the fixture runs but reads as ${JSON.stringify(spelled)} from its source; ` +
        'assign it once at module level as a literal (e.g. TOLERANCE = {"atol": 1e-4}) so verify, which reads it without running Python, uses the value the fixture means',
    );
  }
  const versions = await bridge.versions();

  await mkdir(options.goldenRoot, { recursive: true });
  await removeStaleStaging(options.goldenRoot, name);
  const staging = temporarySibling(target);
  await mkdir(staging);
  const forgetStaging = cleanupOnInterrupt(() => rm(staging, { recursive: true, force: true }));
  try {
    const files: Record<string, string> = {};
    await bridge.saveStateDict(fixture, join(staging, WEIGHTS_FILE));
    files[WEIGHTS_FILE] = await sha256File(join(staging, WEIGHTS_FILE));

    const seeds = Array.from({ length: seedCount }, (_, i) => fixture.seed + i);
    const inputs: TensorSpec[] = fixture.inputShapes.map((shape, i) => ({ name: `input_${i}`, shape, dtype: 'float32' }));
    const firstInputs = seededInputs(fixture.inputShapes, inputDistribution, seeds[0]!);
    const graph = await captureInto(bridge, fixture, firstInputs, staging, files, options.activations ?? true);
    const onnx = (options.onnx ?? true) ? await exportOnnxInto(bridge, fixture, firstInputs, staging, files) : { error: 'not exported: recorded with --no-onnx' };
    let outputs: TensorSpec[] | undefined;
    const recorded: Array<{ seed: number; outputs: Tensor[] }> = [];
    const float64Runs: RecordedSeed[] = [];
    for (const seed of seeds) {
      const tensors = seededInputs(fixture.inputShapes, inputDistribution, seed);
      await writeTensors(staging, files, tensors.map((tensor, i) => [inputFile(seed, inputs[i]!.name), tensor]));
      const produced = await bridge.run(fixture, tensors);
      const specs = produced.map(({ name: outputName, tensor }) => ({ name: outputName, shape: [...tensor.shape], dtype: tensor.dtype }));
      outputs ??= specs;
      recorded.push({ seed, outputs: produced.map((p) => p.tensor) });
      float64Runs.push({ seed, inputs: tensors, outputs: produced });
      await writeTensors(staging, files, produced.map(({ name: outputName, tensor }) => [outputFile(seed, outputName), tensor]));
    }
    const float64 = (options.float64 ?? true) ? await recordFloat64(bridge, fixture, float64Runs) : { record: { error: 'no float64 run: recorded with float64 off (a scratch golden for convert)' }, files: [] };
    const float16Weights = await recordFloat16Weights(bridge, fixture, float64Runs, float64);
    await writeTensors(staging, files, float64.files);
    await bridge.unload(fixture);
    const weak = discriminationProblems(outputs!.map((o) => o.name), recorded);
    if (weak.length > 0 && !fixture.discriminationWaiver) {
      throw new GoldenDiscriminationError(`refusing to record golden ${name}: its outputs cannot tell a broken converter from a correct one:\n  ${weak.join('\n  ')}\n${DISCRIMINATION_FIX}`);
    }

    const manifest: GoldenManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      name,
      fixture: { path: relative(target, resolve(fixturePath)), sha256: sha256(fixtureBytes) },
      createdAt: new Date().toISOString(),
      torch: { version: versions.torch, python: versions.python },
      inputs,
      outputs: outputs!,
      inputDistribution,
      seeds,
      graph,
      onnx,
      accepted: {},
      files,
      dependencies: await hashDependencies(fixture.dependencies ?? [], target),
      waiver: fixture.discriminationWaiver ?? null,
      float64: float64.record,
      float16Weights,
    };
    await writeFile(join(staging, MANIFEST_FILE), serializeManifest(manifest));
    if (options.update) await replaceDirectory(staging, target);
    // Checked again at the move itself: another `golden add` of this name may have finished meanwhile.
    else if (!(await publishDirectory(staging, target))) throw existsError(name, target);
    return manifest;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    forgetStaging();
  }
}

/**
 * Captures the model's graph on the first seed's inputs into the staging directory. A model the
 * capture cannot handle still gets a golden (the PyTorch reference is useful on its own); the
 * manifest says why there is no graph.
 */
async function captureInto(
  bridge: TorchBridge,
  fixture: FixtureHandle,
  inputs: Tensor[],
  staging: string,
  files: Record<string, string>,
  keepActivations: boolean,
): Promise<GoldenManifest['graph']> {
  const paths = { graphPath: join(staging, GRAPH_FILE), constantsPath: join(staging, CONSTANTS_FILE), ...(keepActivations ? { activationsPath: join(staging, ACTIVATIONS_FILE) } : {}) };
  try {
    const { nodes } = await bridge.captureGraph(fixture, inputs, paths);
    for (const path of Object.values(paths)) files[basename(path)] = await sha256File(path);
    return { nodes };
  } catch (error) {
    if (!(error instanceof BridgeRequestError)) throw error;
    for (const path of Object.values(paths)) await rm(path, { force: true });
    return { error: error.message.split('\n')[0]! };
  }
}

/** Exports model.onnx into the staging directory; like the graph, a failure is recorded, not fatal. */
async function exportOnnxInto(
  bridge: TorchBridge,
  fixture: FixtureHandle,
  inputs: Tensor[],
  staging: string,
  files: Record<string, string>,
): Promise<GoldenManifest['onnx']> {
  const path = join(staging, ONNX_FILE);
  try {
    const { opset } = await bridge.exportOnnx(fixture, inputs, path);
    files[ONNX_FILE] = await sha256File(path);
    return { opset };
  } catch (error) {
    if (!(error instanceof BridgeRequestError)) throw error;
    await rm(path, { force: true });
    return { error: error.message.split('\n')[0]! };
  }
}

async function writeTensors(dir: string, files: Record<string, string>, entries: Array<[string, Tensor]>): Promise<void> {
  for (const [path, tensor] of entries) {
    const bytes = encodeNpy(tensor);
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
    files[path] = sha256(bytes);
  }
}

function existsError(name: string, target: string): GoldenExistsError {
  return new GoldenExistsError(`golden ${name} already exists at ${target}; pass --update to re-record it deliberately`);
}

/** SHA-256 of each file the fixture depends on, by path relative to the golden's directory. */
async function hashDependencies(paths: readonly string[], goldenDir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of [...paths].sort()) out[relative(goldenDir, path)] = await sha256File(path);
  return out;
}

/** Staging directories left by an interrupted `golden add` of this name; a live process's staging is left alone. */
async function removeStaleStaging(root: string, name: string): Promise<void> {
  for (const entry of await readdir(root)) {
    if (!entry.startsWith(`.${name}.tmp-`)) continue;
    const owner = temporaryOwner(entry);
    if (owner !== undefined && processAlive(owner)) continue;
    await rm(join(root, entry), { recursive: true, force: true });
  }
}

/** A recorded golden, read back. */
export interface Golden {
  readonly dir: string;
  readonly manifest: GoldenManifest;
  /** Absolute path of the fixture file the golden was recorded from. */
  readonly fixturePath: string;
  readonly weightsPath: string;
  inputs(seed: number): Promise<Tensor[]>;
  outputs(seed: number): Promise<Tensor[]>;
  /** The captured graph and its constant tensors; fails with the recorded reason when capture failed. */
  graph(): Promise<{ graph: CapturedGraph; constants: Map<string, Tensor> }>;
  /** Every intermediate value of the first seed's PyTorch run, by graph value id. */
  activations(): Promise<Map<string, Tensor>>;
  weights(): Promise<Map<string, Tensor>>;
  /** The bytes of model.onnx; fails with the recorded reason when the export failed. */
  onnx(): Promise<Uint8Array>;
}

export async function loadGolden(dir: string): Promise<Golden> {
  const manifestPath = join(dir, MANIFEST_FILE);
  const text = await readFile(manifestPath, 'utf8').catch((error: unknown) => {
    throw new GoldenMissingError(`no golden at ${dir} (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? `${MANIFEST_FILE} is missing` : (error as Error).message})`);
  });
  const manifest = parseManifest(text, manifestPath);
  const read = async (specs: readonly TensorSpec[], file: (seed: number, name: string) => string, seed: number): Promise<Tensor[]> => {
    if (!manifest.seeds.includes(seed)) throw new GoldenMissingError(`golden ${manifest.name} has no seed ${seed} (recorded: ${manifest.seeds.join(', ')})`);
    return Promise.all(specs.map(async (spec) => decodeNpy(await readFile(join(dir, file(seed, spec.name))), join(dir, file(seed, spec.name)))));
  };
  // Every target of a run reads the same seeds, graph and weights: each file is read once per Golden.
  const cache = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!cache.has(key)) cache.set(key, load());
    return cache.get(key) as Promise<T>;
  };
  return {
    dir,
    manifest,
    fixturePath: resolve(dir, manifest.fixture.path),
    weightsPath: join(dir, WEIGHTS_FILE),
    inputs: (seed) => once(`inputs/${seed}`, () => read(manifest.inputs, inputFile, seed)),
    outputs: (seed) => once(`outputs/${seed}`, () => read(manifest.outputs, outputFile, seed)),
    graph: () =>
      once('graph', async () => {
        if ('error' in manifest.graph) throw new GoldenMissingError(`golden ${manifest.name} has no captured graph: ${manifest.graph.error}`);
        const graphPath = join(dir, GRAPH_FILE);
        const graph = parseCapturedGraph(await readFile(graphPath, 'utf8'), graphPath);
        return { graph, constants: await readSafetensorsFile(join(dir, CONSTANTS_FILE)) };
      }),
    activations: () => once('activations', () => readSafetensorsFile(join(dir, ACTIVATIONS_FILE))),
    weights: () => once('weights', () => readSafetensorsFile(join(dir, WEIGHTS_FILE))),
    async onnx() {
      if ('error' in manifest.onnx) throw new GoldenMissingError(`golden ${manifest.name} has no ONNX export: ${manifest.onnx.error}`);
      return readFile(join(dir, ONNX_FILE));
    },
  };
}

export interface GoldenVerification {
  readonly name: string;
  readonly dir: string;
  readonly ok: boolean;
  /** Every problem found, each naming the file concerned. */
  readonly problems: readonly string[];
}

/**
 * Checks a golden end to end: the manifest parses, every recorded file exists with its recorded
 * SHA-256, no unrecorded file sits beside them, each seed's tensors are listed, and the fixture
 * file still has the hash it had when the golden was recorded.
 */
export async function verifyGolden(dir: string): Promise<GoldenVerification> {
  const name = basename(dir);
  let golden: Golden;
  try {
    golden = await loadGolden(dir);
  } catch (error) {
    return { name, dir, ok: false, problems: [(error as Error).message] };
  }
  const { manifest } = golden;
  const problems: string[] = [];
  for (const [path, expected] of Object.entries(manifest.files)) {
    const actual = await sha256File(join(dir, path)).catch(() => undefined);
    if (actual === undefined) problems.push(`${path}: missing`);
    else if (actual !== expected) problems.push(`${path}: content changed since recording (sha256 ${actual.slice(0, 12)}…, recorded ${expected.slice(0, 12)}…)`);
  }
  for (const path of await listFilesRecursive(dir)) {
    if (path !== MANIFEST_FILE && !(path in manifest.files)) problems.push(`${path}: not recorded in the manifest`);
  }
  const required = [WEIGHTS_FILE, ...manifest.seeds.flatMap((seed) => [...manifest.inputs.map((s) => inputFile(seed, s.name)), ...manifest.outputs.map((s) => outputFile(seed, s.name))])];
  for (const path of required) if (!(path in manifest.files)) problems.push(`${path}: required by the manifest's seeds and tensors but not recorded`);
  for (const spec of [...manifest.inputs, ...manifest.outputs]) if (!isDType(spec.dtype)) problems.push(`${spec.name}: unknown dtype ${spec.dtype}`);
  const fixtureHash = await sha256File(golden.fixturePath).catch(() => undefined);
  if (fixtureHash === undefined) problems.push(`fixture ${golden.fixturePath}: missing (the golden was recorded from it)`);
  else if (fixtureHash !== manifest.fixture.sha256) {
    problems.push(`fixture ${golden.fixturePath}: changed since the golden was recorded; re-record with \`${recordCommand(golden.fixturePath, manifest.name)} --update\``);
  }
  const manifestText = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  problems.push(...manifestEdits(manifestText, reRecordHint(golden)));
  if (manifest.version === MANIFEST_VERSION && 'tolerance' in (JSON.parse(manifestText) as object)) {
    problems.push(`manifest.json carries "tolerance", which no golden records: tolerances are read from the fixture's TOLERANCE and the suite only; ${reRecordHint(golden)}`);
  }
  for (const [path, expected] of Object.entries(manifest.dependencies)) {
    const absolute = resolve(dir, path);
    const actual = await sha256File(absolute).catch(() => undefined);
    if (actual !== expected) {
      problems.push(`${absolute}: ${actual === undefined ? 'missing' : 'changed'} since golden ${manifest.name} was recorded (its fixture imports or reads it); re-record with \`${recordCommand(golden.fixturePath, manifest.name)} --update\``);
    }
  }
  if (problems.length === 0) problems.push(...(await recordedOutputProblems(golden)));
  return { name: manifest.name, dir, ok: problems.length === 0, problems };
}

/** Recorded outputs whose shape or dtype differs from the manifest, or that cannot discriminate (without a waiver). */
async function recordedOutputProblems(golden: Golden): Promise<string[]> {
  const { manifest } = golden;
  const problems: string[] = [];
  const bySeed: Array<{ seed: number; outputs: Tensor[] }> = [];
  for (const seed of manifest.seeds) {
    let outputs: Tensor[];
    try {
      outputs = await golden.outputs(seed);
    } catch (error) {
      return [`seed ${seed} outputs cannot be read: ${(error as Error).message}`];
    }
    outputs.forEach((tensor, i) => {
      const spec = manifest.outputs[i]!;
      if (tensor.dtype !== spec.dtype || tensor.shape.join() !== spec.shape.join()) {
        problems.push(`${outputFile(seed, spec.name)}: holds ${tensor.dtype} [${tensor.shape.join(', ')}], the manifest says ${spec.dtype} [${spec.shape.join(', ')}]`);
      }
    });
    bySeed.push({ seed, outputs });
  }
  if (problems.length > 0 || manifest.waiver) return problems;
  const weak = discriminationProblems(manifest.outputs.map((o) => o.name), bySeed);
  return weak.length ? [`golden ${manifest.name} cannot tell a broken converter from a correct one:\n  ${weak.join('\n  ')}\n  ${DISCRIMINATION_FIX}`] : [];
}

/** How to get a valid golden back after a hand edit of its manifest. */
function reRecordHint(golden: Golden): string {
  return `restore the file (git checkout) or re-record the golden with \`${recordCommand(golden.fixturePath, golden.manifest.name)} --update\``;
}

/** The golden directories under `root` (hidden staging directories excluded), sorted by name. */
export async function listGoldenDirs(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => join(root, entry.name))
    .sort();
}


async function readSafetensorsFile(path: string): Promise<Map<string, Tensor>> {
  return decodeSafetensors(await readFile(path), path).tensors;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Records the error level (and model size) each target reached as accepted: the drift ratchet's
 * new baseline. Only the manifest changes; it is rewritten atomically. Refused under CI.
 */
export async function acceptLevels(dir: string, levels: Readonly<Record<string, Omit<AcceptedLevel, 'acceptedAt'>>>, ci: boolean): Promise<GoldenManifest> {
  if (ci) throw new GoldenWriteRefusedError(`refusing to update accepted error levels of ${dir} under CI (CI is set); run with --update locally and commit the manifest`);
  const golden = await loadGolden(dir);
  const { manifest } = golden;
  // Accepting levels re-signs the manifest: never over a hand edit.
  const edits = manifestEdits(await readFile(join(dir, MANIFEST_FILE), 'utf8'), reRecordHint(golden));
  if (edits.length > 0) throw new GoldenManifestError(`refusing to accept error levels into ${dir}: ${edits.join('; ')}`);
  const acceptedAt = new Date().toISOString();
  const accepted = { ...manifest.accepted };
  for (const [target, level] of Object.entries(levels)) accepted[target] = { ...level, acceptedAt };
  const updated: GoldenManifest = { ...manifest, accepted };
  await writeFileAtomic(join(dir, MANIFEST_FILE), serializeManifest(updated));
  return updated;
}
