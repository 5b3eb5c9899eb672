// `torchport bench` end to end on a committed golden with the onnx target. No assertion here
// depends on a measured time: the gate's wiring is checked with baselines whose samples are
// absurdly small or large, so the verdict is certain whatever this machine is doing.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBaseline } from '../../bench/index.ts';
import type { RunReport } from '../../harness/index.ts';
import { runCli } from '../testing.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const golden = join(repo, 'golden', 'seed_single_conv');
const quick = ['--targets', 'onnx', '--time', '40', '--rounds', '2', '--warmup', '5'];

function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(argv, { cwd: repo, env: { ...process.env, CI: '1', TORCHPORT_BENCH_INJECT_SLOWDOWN: '', ...env } });
}

describe.shuffle('torchport bench', () => {
  // Tests run in any order: the baseline the gating tests compare with is saved in beforeAll.
  let dir: string;
  let first: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-cli-'));
    first = await cli(['bench', golden, ...quick, '--json', '--save-baseline', join(dir, 'baseline.json'), '--report', join(dir, 'reports')]);
  }, 180_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('times the target, writes the latency section into every report and saves a baseline', async () => {
    const baseline = join(dir, 'baseline.json');
    const result = first;
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as RunReport;
    expect(report.summary.pass).toBe(true);
    const latency = report.latency!;
    expect(latency.baseline).toBeNull();
    expect(latency.method).toMatchObject({ rounds: 2, timePerTargetMs: 40, threshold: 0.1, alpha: 0.05, confidence: 0.95 });
    expect(latency.calibration.kernel).toMatch(/^matmul-f32/);
    const [entry] = latency.entries;
    expect(entry).toMatchObject({ model: 'seed_single_conv', target: 'onnx', status: 'ok', timedIn: 'node', info: { engine: 'onnxruntime', threads: 1 } });
    expect(entry!.stats!.n).toBeGreaterThanOrEqual(4); // at least two runs in each of two rounds
    expect(entry!.warmupRuns).toBeGreaterThanOrEqual(5);
    for (const key of ['p50', 'p90', 'p99', 'mean', 'sd', 'min', 'max'] as const) expect(entry!.stats![key]).toBeGreaterThanOrEqual(0);
    expect(entry!.gate).toBeUndefined();
    const saved = await loadBaseline(baseline);
    expect(saved.entries).toEqual([expect.objectContaining({ model: 'seed_single_conv', target: 'onnx' })]);
    const latest = join(dir, 'reports', 'bench', 'latest');
    const md = await readFile(join(latest, 'report.md'), 'utf8');
    expect(md).toMatch(/\*\*Latency\*\*[\s\S]*\| seed_single_conv \| onnx \| \d+ \|/);
    // A bench report has no parity rows: no empty parity table, no "0 passed" verdict.
    expect(md).toMatch(/^### ✅ torchport default: MEASURED: latency of 1 model x target lines, not gated \(no baseline\)/);
    expect(md).not.toMatch(/0 passed|\| model \| target \| seeds \|/);
    // JUnit without a baseline: the measured line is a passing testcase carrying its numbers.
    expect(await readFile(join(latest, 'junit.xml'), 'utf8')).toMatch(
      /<testcase [^>]*name="seed_single_conv latency onnx" time="[\d.]+"><system-out>p50 [\d.]+ ms, p90 [\d.]+ ms, n \d+; not gated \(no baseline\)<\/system-out>/,
    );
    const html = await readFile(join(latest, 'report.html'), 'utf8');
    expect(html).toMatch(/<h2>Latency<\/h2>/);
    expect(html).toMatch(/<svg[^>]*aria-label="latency of seed_single_conv"/);
    expect(JSON.parse(await readFile(join(latest, 'report.json'), 'utf8')).latency.entries).toHaveLength(1);
  });

  it('fails with exit code 1 on a regression against the baseline, and passes a run that is faster', async () => {
    const write = async (name: string, scale: number): Promise<string> => {
      const path = join(dir, name);
      const base = JSON.parse(await readFile(join(dir, 'baseline.json'), 'utf8'));
      base.entries = base.entries.map((e: { samples: number[] }) => ({ ...e, samples: e.samples.map((x) => x * scale) }));
      await writeFile(path, JSON.stringify(base));
      return path;
    };
    // A baseline a million times faster than anything: every run is a regression.
    const slower = await cli(['bench', golden, ...quick, '--baseline', await write('fast-baseline.json', 1e-6), '--report', join(dir, 'r2')]);
    expect(slower.code).toBe(1);
    expect(slower.out).toMatch(/seed_single_conv\s+onnx .* REGRESSION/);
    expect(slower.out).toMatch(/LATENCY FAIL: 1 regression\(s\), 0 inconclusive, 1 gated/);
    const md = await readFile(join(dir, 'r2', 'bench', 'latest', 'report.md'), 'utf8');
    expect(md).toMatch(/^### ❌ torchport default: FAIL: latency 1 regression\(s\) of 1 gated/);
    expect(md).toMatch(/\| 🐢 latency regression \| seed_single_conv \/ onnx \| [\d.]+x the baseline/);
    expect(md).toMatch(/❌ .*REGRESSION/);
    expect(await readFile(join(dir, 'r2', 'bench', 'latest', 'junit.xml'), 'utf8')).toMatch(/<testcase [^>]*name="seed_single_conv latency onnx"[^>]*><failure message="latency regression: /);
    const faster = await cli(['bench', golden, ...quick, '--json', '--baseline', await write('slow-baseline.json', 1e6), '--report', join(dir, 'r3')]);
    expect(faster.code).toBe(0);
    const report = JSON.parse(faster.out) as RunReport;
    expect(report.latency!.entries[0]!.gate).toMatchObject({ verdict: 'faster', threshold: 0.1 });
    expect(report.latency!.summary).toEqual({ gated: 1, regressions: 0, inconclusive: 0, pass: true });
  });

  it('times the PyTorch reference inside the bridge, gives target ratios, and never gates the reference', async () => {
    const result = await cli(['bench', golden, ...quick, '--targets', 'onnx,torch', '--json', '--baseline', join(dir, 'baseline.json'), '--report', join(dir, 'r5')]);
    const report = JSON.parse(result.out) as RunReport;
    const torch = report.latency!.entries.find((e) => e.target === 'torch')!;
    expect(torch).toMatchObject({ status: 'ok', timedIn: 'bridge', info: { engine: 'torch', threads: 1 } });
    expect(torch.gate).toBeUndefined();
    expect(torch.stats!.n).toBeGreaterThanOrEqual(4);
    expect(report.latency!.ratios).toEqual([expect.objectContaining({ model: 'seed_single_conv', target: 'torch', reference: 'onnx' })]);
    expect(report.latency!.ratioSummary).toEqual([expect.objectContaining({ target: 'torch', reference: 'onnx', models: 1 })]);
    expect(report.latency!.summary.gated).toBe(1); // onnx only
  });

  it('reports the test-only slowdown hook when it is active', async () => {
    const result = await cli(['bench', golden, ...quick, '--report', join(dir, 'r4')], { TORCHPORT_BENCH_INJECT_SLOWDOWN: 'onnx:0.5' });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/TEST HOOK ACTIVE: planted slowdown onnx \+50%/);
  });

  it('--against DIR times the models `torchport convert` wrote beside the current ones and gates on their ratio', async () => {
    const artifacts = join(dir, 'previous');
    expect((await runCli(['convert', golden, '--out', artifacts, '--quantize', 'fp32'], { cwd: repo, env: { ...process.env, CI: '1' } })).code).toBe(0);
    const result = await cli(['bench', golden, '--targets', 'tflite-fp32', '--time', '40', '--rounds', '2', '--warmup', '5', '--json', '--against', artifacts, '--report', join(dir, 'r6')]);
    const report = JSON.parse(result.out) as RunReport;
    const previous = report.latency!.entries.find((e) => e.target === 'tflite-fp32@against')!;
    const current = report.latency!.entries.find((e) => e.target === 'tflite-fp32')!;
    expect(previous.status).toBe('ok');
    expect(current.gate!.baselineP50Ms).toBe(previous.stats!.p50);
    expect(report.latency!.baseline!.path).toMatch(/previous$/);
    expect(report.latency!.summary.gated).toBe(1);
    expect(result.code).toBe(report.latency!.summary.pass ? 0 : 1);
    const both = await cli(['bench', golden, ...quick, '--against', artifacts, '--baseline', join(dir, 'baseline.json')]);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--baseline and --against are two gates; give one/);
    const missing = await cli(['bench', golden, ...quick, '--against', join(dir, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--against .*nowhere: no such directory/);
  });

  it('exits 2 on bad input, saying what is wrong', async () => {
    expect((await cli(['bench', golden, '--threshold', 'ten'])).err).toMatch(/--threshold must be a fraction like 0\.10/);
    const hook = await cli(['bench', golden, ...quick], { TORCHPORT_BENCH_INJECT_SLOWDOWN: 'keras:0.2' });
    expect(hook.code).toBe(2);
    expect(hook.err).toMatch(/the slowdown hook names keras, which this run does not time/);
    const bad = await cli(['bench', golden, ...quick, '--baseline', join(dir, 'nope.json')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no such file \(record one with --save-baseline\) \[E_BENCH_BASELINE\]/);
  });
});
