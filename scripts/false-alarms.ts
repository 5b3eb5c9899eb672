// False alarms of the verdict on correct conversions: every bundled fixture is recorded afresh with
// SEEDS seeds (default 10) into a temporary golden root and verified on every target under the
// default suite. Every failing row is a false alarm: the converters are the ones that pass the
// committed goldens. Prints one line per golden and writes the counts as JSON.
//
//   npx tsx scripts/false-alarms.ts [--seeds 10] [--targets LIST] [--suite suites/default.json] [--out reports/false-alarms.json] [fixture names...]
//   (--suite: judge under another suite's tolerances, e.g. one whose float targets use the float64-budget rule;
//    --reports DIR: keep each golden's report.json there, e.g. for scripts/float64-budget.ts --from DIR)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { availableTargetNames, createTargets, loadSuite, recordGolden, runIdFor, verifyModels } from '../src/harness/index.ts';
import { TorchBridge } from '../src/torch/index.ts';
import { resolveFixtures } from '../src/cli/environment.ts';

const root = new URL('../', import.meta.url).pathname;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seeds: { type: 'string', default: '10' },
    targets: { type: 'string' },
    suite: { type: 'string', default: join(root, 'suites', 'default.json') },
    reports: { type: 'string' },
    out: { type: 'string', default: join(root, 'reports', 'false-alarms.json') },
  },
});
const seedCount = Number(values.seeds);
const suite = await loadSuite(values.suite!);
const targets = values.targets ? values.targets.split(',') : suite.targets.filter((t) => availableTargetNames().includes(t));
const fixtures = (await resolveFixtures({ cwd: root } as never, [])).filter((f) => positionals.length === 0 || positionals.includes(basename(f, '.py')));

if (values.reports) await mkdir(values.reports, { recursive: true });
const bridge = new TorchBridge();
const torch = await bridge.versions();
const work = await mkdtemp(join(tmpdir(), 'torchport-false-alarms-'));
const results: Array<{ golden: string; rows: number; judged: number; falseAlarms: number; failing: string[] }> = [];
try {
  for (const fixture of fixtures) {
    const name = basename(fixture, '.py');
    const started = Date.now();
    try {
      await recordGolden(bridge, fixture, { goldenRoot: join(work, 'golden'), ci: false, seedCount });
    } catch (error) {
      console.log(`${name.padEnd(32)} could not be recorded: ${(error as Error).message.split('\n')[0]}`);
      results.push({ golden: name, rows: 0, judged: 0, falseAlarms: 0, failing: [`not recorded: ${(error as Error).message.split('\n')[0]}`] });
      continue;
    }
    const { report } = await verifyModels([{ golden: join(work, 'golden', name) }], {
      suite: { ...suite, targets, seeds: null },
      targets: createTargets(targets, { bridge, torchUnavailable: null }),
      goldenRoot: join(work, 'golden'),
      runDir: join(work, 'runs', name),
      runId: runIdFor(new Date()),
      ci: true, // judge only: nothing is accepted into the temporary goldens
      bridge,
      torch,
      torchUnavailable: null,
      cwd: root,
    });
    const failing = report.results.filter((r) => !r.pass && !(r.status === 'skip' && r.skipAllowed));
    const checks = report.checks.filter((c) => !c.pass && c.check !== 'ratchet');
    const entry = {
      golden: name,
      rows: report.results.length,
      judged: report.summary.judged,
      falseAlarms: failing.length + checks.length,
      failing: [
        ...failing.map((r) => `${r.target} seed ${r.seed} ${r.output}: ${r.status} ${(r.reason ?? '').split('\n')[0]!.slice(0, 160)}`),
        ...checks.map((c) => `${c.check} ${c.target ?? ''}: ${c.problems.join('; ').slice(0, 160)}`),
      ],
    };
    results.push(entry);
    console.log(`${name.padEnd(32)} ${String(entry.judged).padStart(4)} rows judged  ${entry.falseAlarms} false alarm(s)  ${((Date.now() - started) / 1000).toFixed(0)}s`);
    for (const line of entry.failing) console.log(`    ${line}`);
    if (values.reports) await writeFile(join(values.reports, `${name}.report.json`), JSON.stringify(report));
    await rm(join(work, 'runs', name), { recursive: true, force: true });
  }
} finally {
  await bridge.close();
  await rm(work, { recursive: true, force: true });
}
const total = results.reduce((sum, r) => sum + r.falseAlarms, 0);
console.log(`${results.length} goldens, ${seedCount} seeds each, targets ${targets.join(', ')}: ${total} false alarm(s) in ${results.reduce((s, r) => s + r.judged, 0)} judged rows`);
await writeFile(values.out!, `${JSON.stringify({ seeds: seedCount, targets, torch: torch.torch, results }, null, 1)}\n`);
process.exitCode = total > 0 ? 1 : 0;
