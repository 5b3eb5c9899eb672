// Measures the operator suite (suites/ops.json: suites/ops/<family>/*.py and suites/fixtures-models/*.py)
// through the current CLI and prints, per family: cases, passes on keras and on each TFLite variant,
// and how the cases that do not pass on keras + tflite-fp32 end (refused, wrong, crashed). Writes the
// table, every refusal message grouped by message, the wrong results and the crashes.
//
//   npx tsx scripts/op-coverage.ts [--suite suites/ops.json] [--batch 24] [--family layers,models] [--out reports/op-coverage]
//     (--family re-measures those families only; the saved batches of the others are kept and tabulated too)
//   npx tsx scripts/op-coverage.ts --tabulate        # re-tabulate the saved batches of the last run, running nothing
//
// Each batch is one `torchport verify <suite> <fixtures...> --targets <suite targets> --json` (fixtures
// without a committed golden are recorded into a temporary golden, so torch is needed). A batch that
// dies without a report is split in halves until the fixture that kills it is found alone; that
// fixture is counted as crashed with the end of the CLI's stderr. Batch reports are kept under
// <out>/batches/ so the tables can be re-made without running anything again.
//
// How a case ends, judged on keras and tflite-fp32 (the float targets; the headline metric):
// pass when both pass on every seed; else crashed when either raised something that is not one of
// torchport's refusals (a JavaScript TypeError, a raw tfjs/LiteRT error, a failed recording);
// else refused when either refused to convert; else wrong (a comparison failed). Refusal versus crash
// is read from the message (the report keeps messages, not error classes): see REFUSAL and CRASH.
import { execa } from 'execa';
import { mkdir, readFile, readdir, rm, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    suite: { type: 'string', default: 'suites/ops.json' },
    batch: { type: 'string', default: '24' },
    family: { type: 'string' },
    out: { type: 'string', default: 'reports/op-coverage' },
    tabulate: { type: 'boolean', default: false },
    'timeout-min': { type: 'string', default: '20' },
  },
});
const outDir = resolve(ROOT, args.out);
const batchDir = join(outDir, 'batches');
const suitePath = resolve(ROOT, args.suite);
const suite = JSON.parse(await readFile(suitePath, 'utf8')) as { fixtures: string[]; targets: string[] };
const TARGETS = suite.targets;
const FLOAT_TARGETS = ['keras', 'tflite-fp32'].filter((t) => TARGETS.includes(t));

type Outcome = 'pass' | 'refused' | 'wrong' | 'crashed' | 'skipped';
interface TargetResult {
  readonly outcome: Outcome;
  readonly message: string;
}
interface CaseResult {
  readonly name: string;
  readonly family: string;
  readonly fixture: string;
  readonly targets: Record<string, TargetResult>;
}
interface ReportRow {
  readonly model: string;
  readonly target: string;
  readonly status: 'pass' | 'fail' | 'skip' | 'error' | 'nondeterministic';
  readonly reason?: string;
}
interface BatchRecord {
  readonly fixtures: string[];
  readonly rows: ReportRow[];
  /** Fixtures whose run died without a report (only ever one per record). */
  readonly died?: { readonly fixture: string; readonly message: string };
}

// Things going wrong inside: JavaScript errors, raw tfjs errors, weight transfer tripping over what
// the builder made, a TFLite model whose inputs do not have PyTorch's shapes, LiteRT computing NaN,
// a Python traceback while recording ...
const CRASH =
  /Cannot read propert|is not a function|is not iterable|Cannot use 'in' operator|TypeError|RangeError|ReferenceError|Traceback|RuntimeError|is incompatible with layer|Error when checking|Operands could not be broadcast|weight transfer failed|must have shape \[|non-finite value|Invalid TF_Status|Aborted\(|Maximum call stack|out of memory|timed out|ENOENT/i;
// ... versus torchport's own refusals: messages that name the node and say what is not supported.
const REFUSAL = /no Keras conversion is known|unsupported|supported|refused|refuses|cannot be converted|batch axis|which Keras|build the module with|use nn\.|Rewrite those parts/i;

function familyOf(fixture: string): string {
  const parts = relative(ROOT, fixture).split(sep);
  if (parts[0] === 'suites' && parts[1] === 'ops' && parts.length === 4) return parts[2]!;
  if (parts[1] === 'fixtures-models') return 'models';
  return parts[1] ?? 'other';
}

const nameOf = (fixture: string): string => fixture.split(/[\\/]/).pop()!.replace(/\.py$/, '');

function classifyError(message: string): Outcome {
  return !CRASH.test(message) && REFUSAL.test(message) ? 'refused' : 'crashed';
}

function targetResult(rows: readonly ReportRow[]): TargetResult {
  const error = rows.find((r) => r.status === 'error');
  if (error) return { outcome: classifyError(error.reason ?? ''), message: error.reason ?? '' };
  const failed = rows.find((r) => r.status === 'fail' || r.status === 'nondeterministic');
  if (failed) return { outcome: 'wrong', message: `${failed.status}: ${failed.reason ?? ''}` };
  if (rows.length === 0 || rows.every((r) => r.status === 'skip')) return { outcome: 'skipped', message: rows[0]?.reason ?? 'no rows' };
  return { outcome: 'pass', message: '' };
}

/** How a case ends on the float targets: crashed over refused over wrong over pass. */
function caseOutcome(result: CaseResult): Outcome {
  const outcomes = FLOAT_TARGETS.map((t) => result.targets[t]?.outcome ?? 'skipped');
  for (const o of ['crashed', 'refused', 'wrong', 'skipped'] as const) if (outcomes.includes(o)) return o;
  return 'pass';
}

async function runBatch(fixtures: string[]): Promise<BatchRecord[]> {
  const cli = await execa(process.execPath, [join(ROOT, 'bin', 'torchport.mjs'), 'verify', suitePath, ...fixtures, '--targets', TARGETS.join(','), '--json', '--report', join(outDir, 'reports')], {
    cwd: ROOT,
    reject: false,
    timeout: Number(args['timeout-min']) * 60_000,
    maxBuffer: 1 << 30,
  });
  let rows: ReportRow[] | null;
  try {
    rows = (JSON.parse(cli.stdout) as { results: ReportRow[] }).results;
  } catch {
    rows = null;
  }
  if (rows) return [{ fixtures, rows }];
  const message =
    (cli.timedOut ? 'timed out; ' : '') +
    (cli.stderr || cli.stdout || `exit ${cli.exitCode}`)
      .split('\n')
      .filter((l) => !/^\[\d|npm warn/.test(l))
      .slice(-12)
      .join('\n');
  if (fixtures.length === 1) return [{ fixtures, rows: [], died: { fixture: fixtures[0]!, message } }];
  const half = Math.ceil(fixtures.length / 2);
  console.error(`  batch of ${fixtures.length} died without a report; splitting (${message.split('\n').pop()})`);
  return [...(await runBatch(fixtures.slice(0, half))), ...(await runBatch(fixtures.slice(half)))];
}

async function measure(): Promise<void> {
  const chosen = args.family ? new Set(args.family.split(',')) : null;
  const byFamily = new Map<string, string[]>();
  for (const fixture of suite.fixtures.map((f) => resolve(ROOT, f))) {
    const family = familyOf(fixture);
    if (!chosen || chosen.has(family)) byFamily.set(family, [...(byFamily.get(family) ?? []), fixture]);
  }
  const size = Math.max(1, Number(args.batch));
  await mkdir(batchDir, { recursive: true });
  // A family is measured whole: its earlier batches go, other families' stay (re-run one family alone).
  for (const file of await readdir(batchDir)) if (byFamily.has(file.replace(/-\d+\.json$/, ''))) await rm(join(batchDir, file));
  const total = [...byFamily.values()].reduce((n, f) => n + f.length, 0);
  const started = Date.now();
  let done = 0;
  for (const [family, fixtures] of byFamily) {
    for (let i = 0; i < fixtures.length; i += size) {
      const batch = fixtures.slice(i, i + size);
      const records = await runBatch(batch);
      const file = join(batchDir, `${family}-${String(i / size).padStart(3, '0')}.json`);
      await writeFile(`${file}.tmp`, JSON.stringify(records));
      await rename(`${file}.tmp`, file);
      done += batch.length;
      console.error(`[${Math.round((Date.now() - started) / 1000)}s] ${done}/${total} fixtures measured (${family})`);
    }
  }
}

async function loadResults(): Promise<CaseResult[]> {
  if (!existsSync(batchDir)) throw new Error(`${relative(ROOT, batchDir)} does not exist: run without --tabulate first`);
  const results: CaseResult[] = [];
  for (const file of (await readdir(batchDir)).filter((f) => f.endsWith('.json')).sort()) {
    for (const record of JSON.parse(await readFile(join(batchDir, file), 'utf8')) as BatchRecord[]) {
      for (const fixture of record.fixtures) {
        const name = nameOf(fixture);
        const targets: Record<string, TargetResult> = {};
        for (const target of TARGETS) {
          targets[target] = record.died ? { outcome: 'crashed', message: record.died.message } : targetResult(record.rows.filter((r) => r.model === name && r.target === target));
        }
        results.push({ name, family: familyOf(fixture), fixture: relative(ROOT, fixture), targets });
      }
    }
  }
  return results;
}

/** One line per distinct problem: the node's name and module path and the case's own numbers taken out. */
function messageKeys(message: string, caseName: string): string[] {
  const items = message.split('\n').filter((l) => /^\s*- node /.test(l));
  const strip = (s: string) =>
    s
      .replace(/^\s*- node '[^']*': /, '')
      .replace(/ at module path '[^']*'/g, '')
      .replaceAll(caseName, '<case>')
      .replace(/\/tmp\/\S+/g, '<tmp>')
      .replace(/(?<![A-Za-z_\d.])-?\d+(\.\d+)?(e[-+]?\d+)?(?![A-Za-z_\d])/g, 'N')
      .trim();
  if (items.length) return [...new Set(items.map(strip))];
  return [strip(message.split('\n')[0] ?? message)];
}

interface Group {
  readonly key: string;
  readonly cases: Set<string>;
  readonly targets: Set<string>;
}

function groupMessages(results: readonly CaseResult[], outcome: Outcome): Group[] {
  const groups = new Map<string, Group>();
  for (const result of results) {
    for (const [target, r] of Object.entries(result.targets)) {
      if (r.outcome !== outcome) continue;
      for (const key of messageKeys(r.message, result.name)) {
        const group = groups.get(key) ?? { key, cases: new Set<string>(), targets: new Set<string>() };
        group.cases.add(result.name);
        group.targets.add(target);
        groups.set(key, group);
      }
    }
  }
  return [...groups.values()].sort((a, b) => b.cases.size - a.cases.size || a.key.localeCompare(b.key));
}

/** The operator a refusal names, without its namespace: Tensor.max, torch.max and F.max are one "max". */
function operatorOf(key: string): string {
  const named = /^(?:function|module) ([\w.]+)/.exec(key)?.[1] ?? /^node '[^']*' \(([\w.]+)\)/.exec(key)?.[1];
  return named
    ? named
        .split('.')
        .pop()!
        .replace(/^_+|_+$/g, '')
    : '(other)';
}

function byOperator(groups: readonly Group[]): Group[] {
  const merged = new Map<string, Group>();
  for (const g of groups) {
    const op = operatorOf(g.key);
    const into = merged.get(op) ?? { key: op, cases: new Set<string>(), targets: new Set<string>() };
    for (const c of g.cases) into.cases.add(c);
    for (const t of g.targets) into.targets.add(t);
    merged.set(op, into);
  }
  return [...merged.values()].sort((a, b) => b.cases.size - a.cases.size || a.key.localeCompare(b.key));
}

function table(results: readonly CaseResult[]): string {
  const families = [...new Set(results.map((r) => r.family))];
  const header = ['family', 'cases', 'pass keras+fp32', ...TARGETS.map((t) => `pass ${t.replace('tflite-', '')}`), 'refused', 'wrong', 'crashed'];
  const row = (label: string, rs: readonly CaseResult[]) => {
    const count = (o: Outcome) => rs.filter((r) => caseOutcome(r) === o).length;
    const pct = (n: number) => `${n} (${rs.length ? Math.round((100 * n) / rs.length) : 0}%)`;
    return [
      label,
      String(rs.length),
      pct(count('pass')),
      ...TARGETS.map((t) => String(rs.filter((r) => r.targets[t]?.outcome === 'pass').length)),
      String(count('refused')),
      String(count('wrong')),
      String(count('crashed')),
    ];
  };
  const lines = [
    ...families.map((f) =>
      row(
        f,
        results.filter((r) => r.family === f),
      ),
    ),
    row('**all**', results),
  ];
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

function groupsSection(title: string, groups: readonly Group[], limit: number, label = 'message'): string {
  const lines = groups.slice(0, limit).map((g) => {
    const examples = [...g.cases].slice(0, 4).join(', ') + (g.cases.size > 4 ? ', ...' : '');
    return `| ${g.cases.size} | ${g.key.replaceAll('|', '\\|').replaceAll('\n', ' ')} | ${[...g.targets].map((t) => t.replace('tflite-', '')).join(', ')} | ${examples} |`;
  });
  const more = groups.length > limit ? `\n\n(${groups.length - limit} more in the JSON output)` : '';
  return `### ${title} (${groups.length} distinct)\n\n| cases | ${label} | targets | e.g. |\n| --- | --- | --- | --- |\n${lines.join('\n')}${more}`;
}

if (!args.tabulate) await measure();
const results = await loadResults();
const refusals = groupMessages(results, 'refused');
const wrong = groupMessages(results, 'wrong');
const crashes = groupMessages(results, 'crashed');
const markdown = [
  `## Operator suite coverage (${results.length} cases, targets ${TARGETS.join(', ')})`,
  '',
  'Outcome columns judge keras and tflite-fp32 together (crashed over refused over wrong); the pass columns count each target alone.',
  '',
  table(results),
  '',
  groupsSection('Refused operators (Tensor.x, torch.x, F.x and module X counted as one)', byOperator(refusals), 40, 'operator'),
  '',
  groupsSection('Refusals, grouped by message', refusals, 40),
  '',
  groupsSection('Wrong results', wrong, 30),
  '',
  groupsSection('Crashes', crashes, 30),
  '',
].join('\n');
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'op-coverage.md'), markdown);
const toJson = (groups: readonly Group[]) => groups.map((g) => ({ message: g.key, cases: [...g.cases], targets: [...g.targets] }));
await writeFile(join(outDir, 'op-coverage.json'), JSON.stringify({ targets: TARGETS, cases: results, refusals: toJson(refusals), wrong: toJson(wrong), crashes: toJson(crashes) }, null, 2));
console.log(markdown);
console.log(`written: ${relative(ROOT, join(outDir, 'op-coverage.md'))}, ${relative(ROOT, join(outDir, 'op-coverage.json'))}`);
