// The latency gate's acceptance experiment (issue 7, "Done when"):
//
//   npx tsx scripts/bench-regression-experiment.ts [--time MS] [--targets LIST]
//
// On every committed golden, with every registered target that runs in Node (the PyTorch
// reference is context, not gated):
//   1. `torchport bench --save-baseline` records a baseline;
//   2. two more `torchport bench --baseline` runs of the unchanged build must not be flagged;
//   3. one run with the test-only hook TORCHPORT_BENCH_INJECT_SLOWDOWN planting a 25% slowdown in
//      every target must be flagged.
// Each run is a separate process, as CI jobs are. Then the in-process A/B path: per golden, the
// first target opened twice and timed interleaved against itself (A/A, must not be flagged) and
// against a copy with the planted slowdown (must be flagged).
// Prints medians, ratios, CIs, p-values and verdicts; exits 1 when an expectation fails.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PLAN, compareSamples, describeComparison, measureInterleaved, withSlowdown } from '../src/bench/index.ts';
import { availableTargetNames, createTargets } from '../src/cli/targets.ts';
import { listGoldenDirs, loadGolden, type LatencyEntry, type OpenTarget, type RunReport } from '../src/harness/index.ts';

const root = new URL('../', import.meta.url).pathname;
const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const time = flag('--time', '1000');
const targets = flag(
  '--targets',
  availableTargetNames()
    .filter((t) => t !== 'torch')
    .join(','),
);
const SLOWDOWN = 0.25;
const THRESHOLD = 0.1;

async function bench(extra: string[], env: Record<string, string> = {}): Promise<{ code: number; report: RunReport; seconds: number }> {
  const started = performance.now();
  const result = await execa('npx', ['tsx', 'src/cli/main.ts', 'bench', ...goldens, '--targets', targets, '--time', time, '--json', '--report', reportDir, ...extra], {
    cwd: root,
    env: { ...process.env, CI: '1', ...env },
    reject: false,
  });
  if (result.exitCode !== 0 && result.exitCode !== 1) throw new Error(`torchport bench failed (${result.exitCode}):\n${result.stderr}`);
  return { code: result.exitCode ?? -1, report: JSON.parse(String(result.stdout)) as RunReport, seconds: (performance.now() - started) / 1000 };
}

function gated(report: RunReport): LatencyEntry[] {
  return report.latency!.entries.filter((e) => e.gate);
}

const pad = (text: string, width: number): string => text.padEnd(width);
const goldens = await listGoldenDirs(join(root, 'golden'));
const scratch = await mkdtemp(join(tmpdir(), 'bench-experiment-'));
const reportDir = join(scratch, 'reports');
const baselineFile = join(scratch, 'baseline.json');
const failures: string[] = [];
try {
  console.log(`goldens: ${goldens.length}; targets: ${targets}; --time ${time} ms per target per model; threshold ${THRESHOLD * 100}%; planted slowdown ${SLOWDOWN * 100}%\n`);
  const base = await bench(['--save-baseline', baselineFile]);
  console.log(`baseline run: exit ${base.code}, ${base.seconds.toFixed(0)} s, calibration ${base.report.latency!.calibration.medianMs.toFixed(3)} ms`);
  const runs = [
    { name: 'unchanged #1', expectFlag: false, ...(await bench(['--baseline', baselineFile])) },
    { name: 'unchanged #2', expectFlag: false, ...(await bench(['--baseline', baselineFile])) },
    {
      name: `planted +${SLOWDOWN * 100}%`,
      expectFlag: true,
      ...(await bench(['--baseline', baselineFile], {
        TORCHPORT_BENCH_INJECT_SLOWDOWN: targets
          .split(',')
          .map((t) => `${t}:${SLOWDOWN}`)
          .join(','),
      })),
    },
  ];
  for (const run of runs) {
    const latency = run.report.latency!;
    console.log(
      `\n== ${run.name}: exit ${run.code}, ${run.seconds.toFixed(0)} s, calibration ${latency.calibration.medianMs.toFixed(3)} ms (baseline ${latency.baseline!.calibrationMs.toFixed(3)} ms)`,
    );
    console.log(`${pad('model', 32)}${pad('target', 14)}${pad('base p50', 10)}${pad('p50 ms', 10)}normalised ratio [95% CI], p(slower): verdict`);
    for (const e of gated(run.report)) {
      console.log(`${pad(e.model, 32)}${pad(e.target, 14)}${pad(e.gate!.baselineP50Ms.toPrecision(3), 10)}${pad(e.stats!.p50.toPrecision(3), 10)}${describeComparison(e.gate!)}`);
    }
    const flagged = gated(run.report).filter((e) => e.gate!.verdict === 'regression').length;
    const total = gated(run.report).length;
    console.log(`-> ${flagged}/${total} flagged; gate ${latency.summary.pass ? 'PASS' : 'FAIL'}; expected ${run.expectFlag ? 'every entry flagged, exit 1' : 'none flagged, exit 0'}`);
    if (run.expectFlag && (flagged !== total || run.code !== 1)) failures.push(`${run.name}: ${flagged}/${total} flagged, exit ${run.code}`);
    if (!run.expectFlag && (flagged !== 0 || run.code !== 0)) failures.push(`${run.name}: ${flagged} flagged, exit ${run.code}`);
  }

  // In-process A/B: both variants available, timed round-robin in one process.
  const target = createTargets([targets.split(',')[0]!], { bridge: null, torchUnavailable: 'not used' })[0]!;
  console.log(`\n== in-process A/B on ${target.name}, interleaved (A/A must not be flagged; A vs A+${SLOWDOWN * 100}% must be)`);
  console.log(`${pad('model', 32)}${pad('A p50 ms', 10)}${pad('A/A', 60)}A+slowdown / A`);
  for (const dir of goldens) {
    const golden = await loadGolden(dir);
    const inputs = await golden.inputs(golden.manifest.seeds[0]!);
    const opens: OpenTarget[] = [];
    try {
      for (let i = 0; i < 3; i++) opens.push(await target.open(golden));
    } catch (error) {
      console.log(`${pad(golden.manifest.name, 32)}skipped: ${(error as Error).message.split('\n')[0]}`);
      for (const open of opens) await open.close();
      continue;
    }
    const run = (i: number) => async () => void (await opens[i]!.run(inputs));
    const measured = await measureInterleaved(
      [
        { name: 'A', kind: 'timed', run: run(0) },
        { name: 'A2', kind: 'timed', run: run(1) },
        { name: 'B', kind: 'timed', run: withSlowdown(run(2), SLOWDOWN) },
      ],
      { ...DEFAULT_PLAN, timePerWorkloadMs: Number(time) },
    );
    for (const open of opens) await open.close();
    const [a, a2, b] = measured.map((m) => m.rounds.flat());
    const same = compareSamples(a2!, a!, { threshold: THRESHOLD });
    const slowed = compareSamples(b!, a!, { threshold: THRESHOLD });
    console.log(`${pad(golden.manifest.name, 32)}${pad(median(a!).toPrecision(3), 10)}${pad(describeComparison(same), 60)}${describeComparison(slowed)}`);
    if (same.verdict === 'regression') failures.push(`A/A ${golden.manifest.name}: flagged`);
    if (slowed.verdict !== 'regression') failures.push(`A/B ${golden.manifest.name}: planted slowdown not flagged (${slowed.verdict})`);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

console.log(failures.length ? `\nEXPERIMENT FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}` : '\nEXPERIMENT PASSED: unchanged runs not flagged, planted slowdowns flagged');
process.exitCode = failures.length ? 1 : 0;
