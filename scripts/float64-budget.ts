// The float64 error budget, measured. Per golden: PyTorch float32's error against PyTorch's float64
// answer, each float target's error against it, and their ratio (the port's rounding cost: 1 = as
// good as PyTorch itself). The numbers behind the float64-budget rule's k and floor
// (docs/tolerances.md).
//
//   npx tsx scripts/float64-budget.ts [--targets onnx,keras,tflite-fp32] [golden dirs...]   # verify goldens (default: golden/*) and tabulate
//   npx tsx scripts/float64-budget.ts --from <report.json or folder of them>...             # tabulate existing reports (e.g. reports/op-coverage/batches)
//   npx tsx scripts/float64-budget.ts --record [--force] [golden dirs...]                     # add float64 answers (and the float16-weights budget) to goldens that lack them
//
// --record runs each golden's fixture in float64 (its recorded weights, its recorded inputs) and adds
// float64/seed-N/<output>.npy and the manifest's "float64" record, then the same float64 model with
// its weights rounded to float16 and the manifest's "float16Weights" record (what float16 weights
// cost, for the float16-budget rule), leaving every other recorded field as it was. A golden that
// has float64 answers already gets only the float16-weights record. It prints the bytes each golden
// grew by.
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mkdtemp } from 'node:fs/promises';
import {
  FLOAT64_BUDGET,
  FLOAT64_DIR,
  MANIFEST_FILE,
  createTargets,
  listGoldenDirs,
  loadGolden,
  loadSuite,
  loadFloat64Outputs,
  recordFloat16Weights,
  recordFloat64,
  float64File,
  runIdFor,
  serializeManifest,
  verifyModels,
  type Float16WeightsRecord,
  type Float64Record,
  type ResultRow,
  type RunReport,
} from '../src/harness/index.ts';
import { encodeNpy, type Tensor } from '../src/tensor/index.ts';
import { TorchBridge } from '../src/torch/index.ts';
import { listFilesRecursive, sha256, writeFileAtomic } from '../src/util/index.ts';

const root = resolve(import.meta.dirname, '..');
/** The k values the summary tries. */
const KS = [1, 2, 3, 4, 8];
/** The scaled rule's default atol, for the comparison. */
const SCALED_ATOL = 1e-5;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    targets: { type: 'string', default: 'onnx,keras,tflite-fp32' },
    from: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  },
});

if (values.record) await recordAll(positionals.length ? positionals.map((p) => resolve(p)) : await listGoldenDirs(join(root, 'golden')));
else if (values.from) tabulate(await readReports(positionals));
else tabulate([await verifyGoldens(positionals.length ? positionals.map((p) => resolve(p)) : await listGoldenDirs(join(root, 'golden')), values.targets!.split(','))]);

async function recordAll(dirs: string[]): Promise<void> {
  if (process.env['CI']) throw new Error('refusing to change goldens under CI (CI is set)');
  const bridge = new TorchBridge();
  let before = 0;
  let after = 0;
  try {
    for (const dir of dirs) {
      const size = await directoryBytes(dir);
      const result = await addFloat64(bridge, dir);
      const grown = await directoryBytes(dir);
      before += size;
      after += grown;
      console.log(`${dir.split('/').pop()!.padEnd(32)} ${result.padEnd(60)} ${size} -> ${grown} bytes (+${(((grown - size) / size) * 100).toFixed(1)}%)`);
    }
  } finally {
    await bridge.close();
  }
  console.log(`${dirs.length} goldens: ${before} -> ${after} bytes (+${after - before}, +${(((after - before) / before) * 100).toFixed(1)}%)`);
}

/** Adds the float64 answers and the float16-weights budget to one golden as it is (same weights, same inputs); only float64/ and the manifest change. */
async function addFloat64(bridge: TorchBridge, dir: string): Promise<string> {
  const golden = await loadGolden(dir);
  const { manifest } = golden;
  if (manifest.float64 && manifest.float16Weights && !values.force) return 'has float64 and float16Weights already (--force re-records)';
  const fixture = await bridge.loadFixture(golden.fixturePath);
  await bridge.loadWeights(fixture, golden.weightsPath);
  const seeds = [];
  for (const seed of manifest.seeds) {
    const outputs = await golden.outputs(seed);
    seeds.push({ seed, inputs: await golden.inputs(seed), outputs: manifest.outputs.map((spec, i) => ({ name: spec.name, tensor: outputs[i]! })) });
  }
  if (manifest.float64 && !values.force) {
    const float64 = { record: manifest.float64, files: await recordedFloat64Files(dir, manifest.float64, manifest.seeds) };
    const float16Weights = await recordFloat16Weights(bridge, fixture, seeds, float64);
    await bridge.unload(fixture);
    await writeFileAtomic(join(dir, MANIFEST_FILE), serializeManifest({ ...manifest, float16Weights }));
    return describeFloat16Weights(float16Weights);
  }
  const { record, files } = await recordFloat64(bridge, fixture, seeds);
  const float16Weights = await recordFloat16Weights(bridge, fixture, seeds, { record, files });
  await bridge.unload(fixture);
  await rm(join(dir, FLOAT64_DIR), { recursive: true, force: true });
  const hashes = Object.fromEntries(Object.entries(manifest.files).filter(([path]) => !path.startsWith(`${FLOAT64_DIR}/`)));
  for (const [path, tensor] of files) {
    const bytes = encodeNpy(tensor);
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFileAtomic(join(dir, path), bytes);
    hashes[path] = sha256(bytes);
  }
  await writeFileAtomic(join(dir, MANIFEST_FILE), serializeManifest({ ...manifest, files: hashes, float64: record, float16Weights }));
  return 'outputs' in record ? `float64 for ${record.outputs.join(', ')}; ${describeFloat16Weights(float16Weights)}` : `no float64: ${record.error.slice(0, 50)}`;
}

/** The float64 answers a golden holds already, as recordFloat64 returns them. */
async function recordedFloat64Files(dir: string, record: Float64Record, seeds: readonly number[]): Promise<Array<[string, Tensor]>> {
  const files: Array<[string, Tensor]> = [];
  for (const seed of seeds) {
    const loaded = await loadFloat64Outputs(dir, record, seed);
    if ('unavailable' in loaded) return [];
    for (const [name, tensor] of loaded.outputs) files.push([float64File(seed, name), tensor]);
  }
  return files;
}

function describeFloat16Weights(record: Float16WeightsRecord): string {
  if ('error' in record) return `no float16Weights: ${record.error.slice(0, 50)}`;
  const worst = Math.max(...Object.values(record.maxAbsDiff).flatMap((bySeed) => Object.values(bySeed)));
  return `float16 weights cost up to ${worst.toExponential(1)}`;
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const path of await listFilesRecursive(dir)) total += (await stat(join(dir, path))).size;
  return total;
}

async function verifyGoldens(dirs: string[], targets: string[]): Promise<RunReport> {
  const bridge = new TorchBridge();
  const torch = await bridge.versions();
  const work = await mkdtemp(join(tmpdir(), 'torchport-float64-budget-'));
  try {
    const suite = await loadSuite(join(root, 'suites', 'default.json'));
    const { report } = await verifyModels(
      dirs.map((golden) => ({ golden })),
      {
        suite: { ...suite, targets, seeds: null },
        targets: createTargets(targets, { bridge, torchUnavailable: null }),
        goldenRoot: join(root, 'golden'),
        runDir: join(work, 'run'),
        runId: runIdFor(new Date()),
        ci: true, // judge only: nothing is recorded or accepted
        bridge,
        torch,
        torchUnavailable: null,
        cwd: root,
      },
    );
    return report;
  } finally {
    await bridge.close();
    await rm(work, { recursive: true, force: true });
  }
}

async function readReports(paths: string[]): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      for (const entry of (await readdir(path, { recursive: true })).filter((e) => e.endsWith('report.json'))) reports.push(JSON.parse(await readFile(join(path, entry), 'utf8')));
    } else reports.push(JSON.parse(await readFile(path, 'utf8')));
  }
  return reports;
}

function tabulate(reports: RunReport[]): void {
  const rows = reports.flatMap((r) => r.results);
  const targets = [...new Set(rows.map((r) => r.target))].filter((t) => rows.some((r) => r.target === t && r.float64 && 'maxAbsDiff' in r.float64));
  const models = [...new Set(rows.map((r) => r.model))].sort();
  const fmt = (v: number | undefined): string => (v === undefined ? '-' : v === 0 ? '0' : v.toExponential(1));
  const ratioText = (v: number | null | undefined): string => (v === undefined ? '-' : v === null ? 'exact' : v.toFixed(2));
  const header = ['golden', 'PT fp32 vs f64', ...targets.flatMap((t) => [`${t} vs f64`, 'ratio'])];
  const lines: string[][] = [];
  const ratios = new Map<string, number[]>(targets.map((t) => [t, []]));
  /** Per target and k: rows the scaled rule passes (correct conversions) that the budget with that k and the default floor would fail. */
  const failing = new Map<string, Map<number, number>>(targets.map((t) => [t, new Map(KS.map((k) => [k, 0]))]));
  /** Per target: the default budget's limit over the scaled rule's (1e-5 x max(1, max|ref|)), and rows the two judge differently. */
  const againstScaled = new Map<string, { limits: number[]; onlyBudgetFails: number; onlyScaledFails: number }>(targets.map((t) => [t, { limits: [], onlyBudgetFails: 0, onlyScaledFails: 0 }]));
  /** Per target, rows whose PyTorch error is 0 or whose ratio is above 1: how large the floor must be. */
  const floorNeeded = new Map<string, number>(targets.map((t) => [t, 0]));
  const fallbacks = new Map<string, string>();
  for (const model of models) {
    const ofModel = rows.filter((r) => r.model === model);
    for (const r of ofModel) if (r.float64 && 'unavailable' in r.float64) fallbacks.set(model, r.float64.unavailable);
    const measured = ofModel.filter((r): r is ResultRow & { float64: { maxAbsDiff: number; torchMaxAbsDiff: number; ratio: number | null } } => r.float64 !== undefined && 'maxAbsDiff' in r.float64);
    if (measured.length === 0) {
      lines.push([model, fallbacks.has(model) ? 'fallback (below)' : 'no float output']);
      continue;
    }
    const torchError = Math.max(...measured.map((r) => r.float64.torchMaxAbsDiff));
    const cells = [model, fmt(torchError)];
    for (const target of targets) {
      const ofTarget = measured.filter((r) => r.target === target);
      if (ofTarget.length === 0) {
        cells.push('-', '-');
        continue;
      }
      const error = Math.max(...ofTarget.map((r) => r.float64.maxAbsDiff));
      // The worst row's ratio (each row's own PyTorch error), not a ratio of maxima over rows.
      const worst = ofTarget.reduce((w, r) => (ratioKey(r.float64.ratio) > ratioKey(w.float64.ratio) ? r : w));
      for (const r of ofTarget) {
        if (r.float64.ratio !== null) ratios.get(target)!.push(r.float64.ratio);
        const scale = Math.max(1, r.maxAbsReference ?? 0);
        const budgetLimit = Math.max(FLOAT64_BUDGET.k * r.float64.torchMaxAbsDiff, FLOAT64_BUDGET.floor * scale);
        const scaledLimit = SCALED_ATOL * scale;
        const versus = againstScaled.get(target)!;
        versus.limits.push(budgetLimit / scaledLimit);
        const budgetPasses = r.float64.maxAbsDiff <= budgetLimit;
        const scaledPasses = (r.maxAbsDiff ?? Infinity) <= scaledLimit;
        if (!budgetPasses && scaledPasses) versus.onlyBudgetFails++;
        if (budgetPasses && !scaledPasses) versus.onlyScaledFails++;
        for (const k of KS)
          if (scaledPasses && r.float64.maxAbsDiff > Math.max(k * r.float64.torchMaxAbsDiff, FLOAT64_BUDGET.floor * scale)) failing.get(target)!.set(k, failing.get(target)!.get(k)! + 1);
        if (scaledPasses && (r.float64.ratio === null || r.float64.ratio > FLOAT64_BUDGET.k)) floorNeeded.set(target, Math.max(floorNeeded.get(target)!, r.float64.maxAbsDiff / scale));
      }
      cells.push(fmt(error), ratioText(worst.float64.ratio));
    }
    lines.push(cells);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const print = (cells: string[]): void =>
    console.log(
      cells
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  print(header);
  print(widths.map((w) => '-'.repeat(w)));
  for (const line of lines) print(line);
  console.log('');
  for (const target of targets) {
    const sorted = [...ratios.get(target)!].sort((a, b) => a - b);
    const q = (p: number): string => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2) : '-');
    const fails = KS.map((k) => failing.get(target)!.get(k)).join('/');
    const versus = againstScaled.get(target)!;
    const limits = [...versus.limits].sort((a, b) => a - b);
    console.log(
      `${target.padEnd(14)} rows ${String(sorted.length).padStart(5)}  ratio median ${q(0.5)}  p95 ${q(0.95)}  max ${q(1)}  ` +
        `rows the scaled rule passes that would fail at k=${KS.join('/')} (floor ${FLOAT64_BUDGET.floor}): ${fails}  largest error/max(1,|ref|) of a row the scaled rule passes above k=${FLOAT64_BUDGET.k} or exact: ${fmt(floorNeeded.get(target))}\n` +
        `${''.padEnd(14)} default budget limit / scaled limit: median ${limits[Math.floor(limits.length / 2)]?.toFixed(3) ?? '-'} max ${limits.at(-1)?.toFixed(3) ?? '-'}; ` +
        `rows only the budget fails ${versus.onlyBudgetFails}, only the scaled rule fails ${versus.onlyScaledFails}`,
    );
  }
  const judged = rows.filter((r) => r.float64 && 'maxAbsDiff' in r.float64);
  const budgetFails = judged.filter((r) => r.rule === 'float64-budget' && !r.pass).length;
  console.log(`${judged.length} rows with a float64 answer, ${fallbacks.size} golden(s) without (fallback to the scaled rule); ${budgetFails} row(s) judged by float64-budget failed`);
  for (const [model, why] of fallbacks) console.log(`  fallback ${model}: ${why}`);
}

function ratioKey(ratio: number | null): number {
  return ratio === null ? Infinity : ratio;
}
