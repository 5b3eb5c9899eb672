// Measures the model-family suite (suites/families.json: timm and transformers architectures in
// suites/families/) through the current CLI and prints, per family: pass or not on keras and on each TFLite
// variant with the worst error (absolute, and relative to the largest reference value), ONNX Runtime's error
// on the same model, and the refusal / crash message of every target that did not produce numbers; then the
// refusals and crashes grouped by message.
//
//   npx tsx scripts/family-coverage.ts [--suite suites/families.json] [--only timm_vit,hf_bert] [--out reports/family-coverage]
//   npx tsx scripts/family-coverage.ts --tabulate      # re-tabulate the saved runs, running nothing
//
// Each fixture is one `torchport verify <suite> <fixture> --targets <suite targets> --json` (recorded into a
// temporary golden, so it needs a Python with timm and transformers: TORCHPORT_PYTHON, else the project's .venv
// (scripts/requirements.txt), else .venv-families; suites/families/python.ts). One fixture per run so a crash or
// a hang costs one family only.
// Runs are kept under <out>/runs/<fixture>.json; --only re-measures those and keeps the others.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { familyPython } from '../suites/families/python.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    suite: { type: 'string', default: 'suites/families.json' },
    only: { type: 'string' },
    out: { type: 'string', default: 'reports/family-coverage' },
    tabulate: { type: 'boolean', default: false },
    'timeout-min': { type: 'string', default: '30' },
  },
});
const outDir = resolve(ROOT, args.out);
const runDir = join(outDir, 'runs');
const suitePath = resolve(ROOT, args.suite);
const suite = JSON.parse(await readFile(suitePath, 'utf8')) as { fixtures: string[]; targets: string[] };
const TARGETS = suite.targets;
const SHOWN = ['keras', 'tflite-fp32', 'tflite-fp16', 'tflite-dynamic-int8', 'tflite-int8', 'onnx'].filter((t) => TARGETS.includes(t));
const PYTHON = familyPython(ROOT);

interface Row {
  readonly model: string;
  readonly target: string;
  readonly status: 'pass' | 'fail' | 'skip' | 'error' | 'nondeterministic';
  readonly reason?: string;
  readonly maxAbsDiff?: number;
  readonly maxAbsReference?: number;
}
interface Run {
  readonly fixture: string;
  readonly seconds: number;
  readonly rows: Row[];
  /** The run died without a report: the end of its stderr. */
  readonly died?: string;
}
interface TargetSummary {
  readonly status: 'pass' | 'fail' | 'error' | 'skip' | 'died';
  readonly maxAbs: number | null;
  readonly maxRel: number | null;
  readonly message: string;
}

const nameOf = (fixture: string): string => fixture.split(/[\\/]/).pop()!.replace(/\.py$/, '');

async function runOne(fixture: string): Promise<Run> {
  const started = Date.now();
  const env = {
    HF_HUB_OFFLINE: '1',
    TRANSFORMERS_OFFLINE: '1',
    TORCHPORT_BRIDGE_TIMEOUT_MS: String(Number(args['timeout-min']) * 60_000),
    ...(PYTHON ? { TORCHPORT_PYTHON: PYTHON } : {}),
  };
  const cli = await execa(
    process.execPath,
    [join(ROOT, 'bin', 'torchport.mjs'), 'verify', suitePath, resolve(ROOT, fixture), '--targets', TARGETS.join(','), '--json', '--report', join(outDir, 'reports')],
    {
      cwd: ROOT,
      env,
      reject: false,
      timeout: Number(args['timeout-min']) * 60_000,
      maxBuffer: 1 << 30,
    },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  try {
    const report = JSON.parse(cli.stdout) as { results: Row[]; checks: { check: string; pass: boolean; problems: string[] }[] };
    const rows = report.results.map(({ model, target, status, reason, maxAbsDiff, maxAbsReference }) => ({ model, target, status, reason, maxAbsDiff, maxAbsReference }));
    // A golden that fails its own checks gets no rows: say why instead of "no rows".
    const failed = report.checks.filter((c) => !c.pass).map((c) => `${c.check}: ${c.problems.join('; ')}`);
    return { fixture, seconds, rows, ...(rows.length === 0 && failed.length ? { died: failed.join('\n') } : {}) };
  } catch {
    const tail = (cli.stderr || cli.stdout || `exit ${cli.exitCode}`)
      .split('\n')
      .filter((l) => !/^\[\d|npm warn/.test(l))
      .slice(-12)
      .join('\n');
    return { fixture, seconds, rows: [], died: (cli.timedOut ? 'timed out; ' : '') + tail };
  }
}

async function measure(): Promise<void> {
  const chosen = args.only ? new Set(args.only.split(',')) : null;
  await mkdir(runDir, { recursive: true });
  const fixtures = suite.fixtures.filter((f) => !chosen || chosen.has(nameOf(f)));
  for (const [i, fixture] of fixtures.entries()) {
    const run = await runOne(fixture);
    const file = join(runDir, `${nameOf(fixture)}.json`);
    await writeFile(`${file}.tmp`, JSON.stringify(run, null, 1));
    await rename(`${file}.tmp`, file);
    console.error(`[${i + 1}/${fixtures.length}] ${nameOf(fixture)}: ${run.seconds}s${run.died ? ' (died)' : ''}`);
  }
}

function summarize(run: Run, target: string): TargetSummary {
  if (run.died) return { status: 'died', maxAbs: null, maxRel: null, message: run.died };
  const rows = run.rows.filter((r) => r.model === nameOf(run.fixture) && r.target === target);
  const measured = rows.filter((r) => typeof r.maxAbsDiff === 'number' && Number.isFinite(r.maxAbsDiff));
  const maxAbs = measured.length ? Math.max(...measured.map((r) => r.maxAbsDiff!)) : null;
  const maxRel = measured.length ? Math.max(...measured.map((r) => r.maxAbsDiff! / Math.max(r.maxAbsReference ?? 0, Number.MIN_VALUE))) : null;
  const worst = rows.find((r) => r.status === 'error') ?? rows.find((r) => r.status === 'fail' || r.status === 'nondeterministic');
  if (worst) return { status: worst.status === 'error' ? 'error' : 'fail', maxAbs, maxRel, message: worst.reason ?? '' };
  if (rows.length === 0 || rows.every((r) => r.status === 'skip')) return { status: 'skip', maxAbs, maxRel, message: rows[0]?.reason ?? 'no rows' };
  return { status: 'pass', maxAbs, maxRel, message: '' };
}

const num = (x: number | null): string => (x === null ? '' : x === 0 ? '0' : x.toExponential(1));

/** Refusal or crash: a refusal is torchport's own message naming what is unsupported. */
const REFUSAL = /no Keras conversion is known|unsupported|not supported|refused|refuses|cannot be converted|which Keras keeps apart|Rewrite those parts/i;
const CRASH =
  /Cannot read propert|is not a function|is not iterable|Cannot use 'in' operator|TypeError|RangeError|ReferenceError|Traceback|RuntimeError|non-finite|timed out|out of memory|Maximum call stack|cannot load it/i;
const isRefusal = (s: TargetSummary): boolean => s.status === 'error' && REFUSAL.test(s.message) && !CRASH.test(s.message);

function cell(s: TargetSummary): string {
  const errors = s.maxAbs === null ? '' : ` ${num(s.maxAbs)} / ${num(s.maxRel)}`;
  const label = s.status === 'error' ? (isRefusal(s) ? 'refused' : 'crash') : { pass: 'pass', fail: 'FAIL', skip: 'skip', died: 'died' }[s.status];
  return label + errors;
}

/** One key per distinct problem: node names, module paths, numbers and temp paths taken out. */
function messageKeys(message: string): string[] {
  const strip = (s: string) =>
    s
      .replace(/^\s*- node '[^']*': /, '')
      .replace(/ at module path '[^']*'/g, '')
      .replace(/\/tmp\/\S+/g, '<tmp>')
      .replace(/(?<![A-Za-z_\d.])-?\d+(\.\d+)?(e[-+]?\d+)?(?![A-Za-z_\d])/g, 'N')
      .trim();
  const items = message.split('\n').filter((l) => /^\s*- node /.test(l));
  return items.length ? [...new Set(items.map(strip))] : [strip(message.split('\n')[0] ?? message)];
}

function groups(runs: readonly Run[], kind: 'refused' | 'crashed'): { key: string; families: Set<string>; targets: Set<string> }[] {
  const found = new Map<string, { key: string; families: Set<string>; targets: Set<string> }>();
  for (const run of runs) {
    for (const target of TARGETS) {
      const s = summarize(run, target);
      if (s.status !== 'error' && s.status !== 'died') continue;
      if ((kind === 'refused') !== isRefusal(s)) continue;
      for (const key of messageKeys(s.message)) {
        const g = found.get(key) ?? { key, families: new Set<string>(), targets: new Set<string>() };
        g.families.add(nameOf(run.fixture));
        g.targets.add(target);
        found.set(key, g);
      }
    }
  }
  return [...found.values()].sort((a, b) => b.families.size - a.families.size || a.key.localeCompare(b.key));
}

function groupTable(title: string, gs: ReturnType<typeof groups>): string {
  const lines = gs.map(
    (g) => `| ${g.families.size} | ${g.key.replaceAll('|', '\\|').slice(0, 400)} | ${[...g.targets].map((t) => t.replace('tflite-', '')).join(', ')} | ${[...g.families].join(', ')} |`,
  );
  return `### ${title} (${gs.length} distinct)\n\n| families | message | targets | families |\n| --- | --- | --- | --- |\n${lines.join('\n')}`;
}

async function tabulate(): Promise<void> {
  if (!existsSync(runDir)) throw new Error(`${relative(ROOT, runDir)} does not exist: run without --tabulate first`);
  const runs: Run[] = [];
  for (const file of (await readdir(runDir)).filter((f) => f.endsWith('.json')).sort()) runs.push(JSON.parse(await readFile(join(runDir, file), 'utf8')) as Run);
  const order = new Map(suite.fixtures.map((f, i) => [nameOf(f), i]));
  runs.sort((a, b) => (order.get(nameOf(a.fixture)) ?? 1e9) - (order.get(nameOf(b.fixture)) ?? 1e9));
  const header = ['family', ...SHOWN.map((t) => t.replace('tflite-', '')), 'seconds'];
  const lines = runs.map((run) => [nameOf(run.fixture), ...SHOWN.map((t) => cell(summarize(run, t))), String(run.seconds)]);
  const floatPass = runs.filter((r) => ['keras', 'tflite-fp32'].every((t) => summarize(r, t).status === 'pass')).length;
  const perTarget = SHOWN.map((t) => `${t} ${runs.filter((r) => summarize(r, t).status === 'pass').length}`).join(', ');
  const markdown = [
    `## Family coverage (${runs.length} families, targets ${TARGETS.join(', ')})`,
    '',
    `Pass on keras and tflite-fp32 together: ${floatPass} of ${runs.length}. Passes per target: ${perTarget}.`,
    'Cells: outcome, then the worst error over seeds and outputs as max |a - r| / (max |a - r| / max |r|).',
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
    '',
    groupTable('Refusals, grouped by message', groups(runs, 'refused')),
    '',
    groupTable('Crashes and failed recordings', groups(runs, 'crashed')),
    '',
  ].join('\n');
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'family-coverage.md'), markdown);
  console.log(markdown);
  console.log(`written: ${relative(ROOT, join(outDir, 'family-coverage.md'))}`);
}

if (!args.tabulate) await measure();
await tabulate();
