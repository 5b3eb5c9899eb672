import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import {
  DEFAULT_TARGETS,
  MANIFEST_FILE,
  allowSkips,
  fileTargets,
  goldenNameOf,
  loadGolden,
  loadSuite,
  resolveDefaultSuite,
  runIdFor,
  verifyModels,
  type ModelFile,
  type ModelSource,
  type Suite,
  type Target,
} from '../harness/index.ts';
import { summaryTable, writeReports } from '../report/index.ts';
import { cleanupOnInterrupt } from '../util/index.ts';
import { print, printError, type CliContext } from './context.ts';
import { DEFAULT_FIXTURES_DIR, openBridge, resolveFixtures, type OpenedBridge } from './environment.ts';
import { createProgress } from './progress.ts';
import { shardOf, type Shard } from './shard.ts';
import { availableTargetNames, createTargets, parseTargetList } from './targets.ts';

export interface VerificationRequest {
  /** Golden directories, fixture files (.py) and/or one suite file (.json). Empty: the default suite. */
  readonly inputs: readonly string[];
  readonly goldenRoot: string;
  readonly reportRoot: string;
  readonly targets?: string;
  readonly seeds?: string;
  /** Comma-separated targets whose skipped rows are accepted (--allow-skip). */
  readonly allowSkip?: string;
  /** Verify converted artifacts (keras and tflite targets read them) instead of converting afresh. */
  readonly artifactsDir?: string;
  readonly update: boolean;
  readonly json: boolean;
  /** Verify only this slice of the models (CI job matrices); `torchport report --merge` joins the pieces. */
  readonly shard?: Shard;
  /** `run`: record missing goldens of fixtures into the golden root. `verify`: into a temporary one. */
  readonly recordIntoGoldenRoot: boolean;
  /** Verify these model files (any converter's output) instead of converting: `--tflite` / `--keras`. */
  readonly files?: readonly ModelFile[];
}

/** Runs a parity verification end to end, prints the table, writes the reports; sets the exit code. */
export async function runVerification(ctx: CliContext, request: VerificationRequest): Promise<void> {
  const resolved = await resolveInputs(ctx, request.inputs);
  const { suite } = resolved;
  const { goldens, fixtures } = request.shard ? inShard(resolved.goldens, resolved.fixtures, request.shard) : resolved;
  const files = request.files?.length ? await modelFileTargets(request, goldens.length + fixtures.length) : null;
  const targetNames = files ? files.map((t) => t.name) : request.targets ? parseTargetList(request.targets) : suite.targets.filter((t) => availableTargetNames().includes(t));
  const seeds = request.seeds ? parseSeeds(request.seeds) : suite.seeds;
  const allowed = request.allowSkip ? (files ? pickFileTargets(request.allowSkip, files, '--allow-skip').map((t) => t.name) : parseTargetList(request.allowSkip, '--allow-skip')) : [];
  const base: Suite = { ...suite, targets: targetNames, seeds };
  // The TRANSPOSE limit is a rule for torchport's writer; another converter's count is reported, not judged.
  const effectiveSuite: Suite = allowSkips(files ? { ...base, structure: { ...base.structure, maxTranspose: null, fixtures: {} } } : base, allowed, 'allowed by --allow-skip');
  const ci = ctx.config.ci;
  await refuseMismatchedFixtures(fixtures, request.goldenRoot);
  // Python and torch start only when something needs them: the torch target, or a golden to record.
  const needsTorch = targetNames.includes('torch') || fixtures.some((f) => !existsSync(join(request.goldenRoot, goldenNameOf(f), MANIFEST_FILE)));
  const opened: OpenedBridge = needsTorch ? await openBridge(ctx) : { bridge: null, versions: null, unavailable: null };
  if (opened.unavailable) printError(ctx, `torch is unavailable, using committed goldens only:\n${opened.unavailable}`);
  const progress = createProgress(ctx, { total: goldens.length + fixtures.length });
  let scratch: string | undefined;
  let forgetScratch: (() => void) | undefined;
  try {
    const sources: ModelSource[] = goldens.map((golden) => ({ golden }));
    for (const fixture of fixtures) {
      const committed = join(request.goldenRoot, goldenNameOf(fixture));
      // `verify` records a fixture without a committed golden into a temporary root (never under CI:
      // there the missing golden fails the run); a fixture that cannot be recorded is a failed row.
      if (request.recordIntoGoldenRoot || ci || existsSync(join(committed, MANIFEST_FILE))) sources.push({ fixture });
      else {
        if (!scratch) {
          scratch = await mkdtemp(join(tmpdir(), 'torchport-golden-'));
          const dir = scratch;
          forgetScratch = cleanupOnInterrupt(() => rm(dir, { recursive: true, force: true }));
        }
        sources.push({ fixture, goldenRoot: scratch });
      }
    }
    const runId = runIdFor(new Date());
    const runDir = join(request.reportRoot, runId);
    const { report } = await verifyModels(sources, {
      suite: effectiveSuite,
      targets: files ?? createTargets(targetNames, { bridge: opened.bridge, torchUnavailable: opened.unavailable, ...(request.artifactsDir ? { artifactsDir: request.artifactsDir } : {}) }),
      goldenRoot: request.goldenRoot,
      runDir,
      runId,
      ci,
      bridge: opened.bridge,
      torch: opened.versions,
      torchUnavailable: opened.unavailable,
      cwd: ctx.cwd,
      update: request.update,
      onProgress: (message) => progress.update(message),
    });
    progress.done();
    await writeReports(report, runDir, join(request.reportRoot, 'latest'));
    if (request.json) print(ctx, JSON.stringify(report, null, 2));
    else {
      print(ctx, summaryTable(report));
      print(ctx, `reports: ${relative(ctx.cwd, join(request.reportRoot, 'latest'))}/report.{json,md,html}, junit.xml; run record: ${relative(ctx.cwd, runDir)}/run.json`);
    }
    if (!report.summary.pass) ctx.exitCode = 1;
  } finally {
    progress.done();
    await opened.bridge?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
    forgetScratch?.();
  }
}

/**
 * The targets of `--tflite` / `--keras` files: one per engine that reads the format (`--targets`
 * picks among them). A file is checked against one model, so exactly one golden or fixture.
 */
async function modelFileTargets(request: VerificationRequest, models: number): Promise<Target[]> {
  const clashing = [request.artifactsDir ? '--artifacts' : '', request.update ? '--update' : '', request.shard ? '--shard' : ''].filter(Boolean);
  if (clashing.length) throw new UsageError(`${describeFiles(request.files!)} cannot be combined with ${clashing.join(', ')}: they apply to torchport's own conversion`);
  return targetsOfFiles(request.files!, models, request.targets);
}

function describeFiles(files: readonly ModelFile[]): string {
  return files.map((f) => `--${f.kind} ${f.path}`).join(' ');
}

/** The targets of model files checked against one model (`verify` and `bench`), narrowed by `--targets`. */
export async function targetsOfFiles(files: readonly ModelFile[], models: number, targetList: string | undefined): Promise<Target[]> {
  if (models !== 1) throw new UsageError(`${describeFiles(files)}: name exactly one golden (or fixture) to check the file against, got ${models}`);
  const targets = (await Promise.all(files.map((file) => fileTargets(file)))).flat();
  const names = targets.map((t) => t.name);
  const twice = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (twice.length) throw new UsageError(`${describeFiles(files)}: several files would run as ${twice.join(', ')} (same format and variant); verify them in separate runs`);
  return targetList ? pickFileTargets(targetList, targets, '--targets') : targets;
}

/** A comma-separated list of file target names, with or without their variant (`file-tflite-native`). */
function pickFileTargets(list: string, targets: readonly Target[], option: string): Target[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const engineOf = (name: string) => name.replace(/-(fp32|fp16|dynamic-int8|int8)$/, '');
  const matching = (name: string) => targets.filter((t) => t.name === name || engineOf(t.name) === name);
  const unknown = names.filter((name) => matching(name).length === 0);
  if (names.length === 0 || unknown.length)
    throw new UsageError(`${option}: ${unknown.join(', ') || '(none given)'} is not a target of the given file(s); they run on: ${targets.map((t) => t.name).join(', ')}`);
  return targets.filter((t) => names.some((name) => matching(name).includes(t)));
}

/**
 * A fixture named on the command line is checked against its committed golden only when that golden
 * was recorded from this very file: otherwise the named file would never run.
 */
async function refuseMismatchedFixtures(fixtures: readonly string[], goldenRoot: string): Promise<void> {
  const problems: string[] = [];
  for (const fixture of fixtures) {
    const dir = join(goldenRoot, goldenNameOf(fixture));
    if (!existsSync(join(dir, MANIFEST_FILE))) continue;
    let recordedFrom: string;
    try {
      recordedFrom = (await loadGolden(dir)).fixturePath;
    } catch {
      continue; // an unreadable golden is reported by the run itself
    }
    if (canonical(recordedFrom) !== canonical(fixture)) {
      problems.push(
        `${fixture}: golden ${dir} was recorded from ${recordedFrom}, a different file; verify that golden's own fixture, or record this file under another name (\`npx torchport golden add ${fixture} --name <name>\`)`,
      );
    }
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Goldens first, then fixtures: the order sources run in, so each shard is a slice of one run's order. */
function inShard(goldens: readonly string[], fixtures: readonly string[], shard: Shard): { goldens: string[]; fixtures: string[] } {
  const picked = new Set(shardOf([...goldens, ...fixtures], shard));
  return { goldens: goldens.filter((g) => picked.has(g)), fixtures: fixtures.filter((f) => picked.has(f)) };
}

function parseSeeds(value: string): number[] {
  const seeds = value.split(',').map((s) => Number(s.trim()));
  if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) throw new UsageError(`--seeds must be a comma-separated list of non-negative integers, got ${JSON.stringify(value)}`);
  return seeds;
}

/** Sorts the command line's inputs into a suite, fixture files and golden directories. */
export async function resolveInputs(ctx: CliContext, inputs: readonly string[]): Promise<{ suite: Suite; fixtures: string[]; goldens: string[] }> {
  let suite: Suite | undefined;
  const fixtures: string[] = [];
  const goldens: string[] = [];
  const problems: string[] = [];
  for (const input of inputs) {
    const path = resolve(ctx.cwd, input);
    if (input.endsWith('.json')) {
      if (suite) problems.push(`${input}: only one suite per run`);
      else suite = await loadSuite(path);
    } else if (input.endsWith('.py')) {
      if (existsSync(path)) fixtures.push(path);
      else problems.push(`${input}: no such fixture file`);
    } else if (existsSync(join(path, MANIFEST_FILE))) goldens.push(path);
    else if (existsSync(path) && statSync(path).isDirectory()) problems.push(`${input}: a directory without ${MANIFEST_FILE} is not a golden`);
    else problems.push(`${input}: not a golden directory, a fixture (.py) or a suite (.json)`);
  }
  if (problems.length) throw new UsageError(problems.join('\n'));
  suite ??= await resolveDefaultSuite(ctx.cwd, DEFAULT_TARGETS);
  if (fixtures.length === 0 && goldens.length === 0) fixtures.push(...(await suiteFixtures(ctx, suite)));
  return { suite, fixtures, goldens };
}

async function suiteFixtures(ctx: CliContext, suite: Suite): Promise<string[]> {
  const out: string[] = [];
  for (const entry of suite.fixtures) {
    if (entry === '*') out.push(...(await resolveFixtures(ctx, [])));
    else out.push(resolve(ctx.cwd, entry));
  }
  const missing = out.filter((f) => !existsSync(f));
  if (missing.length) throw new UsageError(`suite ${suite.name} names missing fixture(s): ${missing.join(', ')} (looked relative to ${ctx.cwd}; default fixtures live in ${DEFAULT_FIXTURES_DIR})`);
  return [...new Set(out)];
}
