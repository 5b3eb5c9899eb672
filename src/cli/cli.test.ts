import { execa } from 'execa';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';

const repo = new URL('../../', import.meta.url).pathname;

function cli(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return runCli(argv, { cwd: options.cwd ?? repo, env: options.env ?? { ...process.env, CI: '' } });
}

// Each test stands alone (any order, any subset): the one `run` that records the project's golden
// happens in beforeAll, and a test that changes files works on its own copy.
describe.shuffle('torchport CLI', () => {
  let project: string;
  let recorded: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    // A throwaway project: one fixture, goldens and reports written inside it.
    project = await mkdtemp(join(tmpdir(), 'cli-test-'));
    await mkdir(join(project, 'suites', 'fixtures'), { recursive: true });
    await copyFile(join(repo, 'src/torch/test-fixtures/two_outputs_noisy.py'), join(project, 'suites', 'fixtures', 'tiny.py'));
    recorded = await cli(['run', '--targets', 'torch,onnx'], { cwd: project });
  }, 180_000);
  afterAll(() => rm(project, { recursive: true, force: true }));

  it('prints help for every command with exit code 0', async () => {
    for (const argv of [['--help'], ['golden', '--help'], ['golden', 'add', '--help'], ['golden', 'verify', '--help'], ['golden', 'list', '--help'], ['run', '--help']]) {
      const result = await cli(argv);
      expect(result.code, argv.join(' ')).toBe(0);
      expect(result.out).toMatch(/Usage: torchport/);
    }
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli(['run', '--no-such-flag'])).code).toBe(2);
    expect((await cli(['golden', 'add'])).code).toBe(2);
    const missing = await cli(['golden', 'add', 'nope.py'], { cwd: project });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/fixture nope\.py does not exist \[E_USAGE\]/);
    expect((await cli(['golden', 'add', 'README.md'], { cwd: project })).err).toMatch(/README\.md: a fixture is a Python file \(\.py\)/);
    expect((await cli(['run', 'not-python.txt'], { cwd: project })).err).toMatch(/a fixture is a Python file/);
  });

  it('run: records the missing golden, passes, prints the table and writes reports/latest/report.json', async () => {
    const result = recorded;
    expect(result.err).toMatch(/tiny: recording golden/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/tiny\s+torch\s+3\/3\s+0\s+0\s+1\.00x\s+scaled 0\.000001\s+0\s+PASS/);
    const report = JSON.parse(await readFile(join(project, 'reports', 'latest', 'report.json'), 'utf8'));
    expect(report.summary).toMatchObject({ pass: true, rows: 12, passed: 12 }); // torch and onnx: 3 seeds x 2 outputs each
    expect(result.out).toMatch(/tiny\s+onnx\s+3\/3\s+\S+\s+\S+\s+\d+\.\d\dx\s+scaled 0\.000001\s+\S+\s+PASS/);
    for (const file of ['report.md', 'report.html', 'junit.xml']) expect((await readFile(join(project, 'reports', 'latest', file), 'utf8')).length).toBeGreaterThan(100);
    expect(report.results[0]).toMatchObject({ model: 'tiny', target: 'torch', seed: 5, output: 'output_0', pass: true, maxAbsDiff: 0 });
    expect(report.environment.torch).toMatch(/^\d/);
    const byRunId = JSON.parse(await readFile(join(project, 'reports', report.runId, 'report.json'), 'utf8'));
    expect(byRunId.runId).toBe(report.runId);
  });

  it('golden list and verify see the recorded golden; verify exits 1 naming a tampered file', async () => {
    const own = await mkdtemp(join(project, 'tamper-'));
    for (const dir of ['golden', 'suites']) await cp(join(project, dir), join(own, dir), { recursive: true });
    const list = await cli(['golden', 'list', '--json'], { cwd: own });
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ name: 'tiny', seeds: [5, 6, 7], distribution: 'uniform[-2, 2)' })]);
    const intact = await cli(['golden', 'verify'], { cwd: own });
    expect(intact.code, intact.out + intact.err).toBe(0);
    await writeFile(join(own, 'golden', 'tiny', 'seed-6', 'output_1.npy'), 'garbage');
    const verify = await cli(['golden', 'verify'], { cwd: own });
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/FAIL {2}tiny\n\s+seed-6\/output_1\.npy: content changed since recording/);
  });

  it('run without torch and --allow-skip torch uses the committed goldens: checks pass, torch rows are skipped with the reason', async () => {
    const result = await cli(['run', '--targets', 'torch,onnx', '--report', join(project, 'r2'), '--allow-skip', 'torch'], {
      cwd: repo,
      env: { ...process.env, CI: 'true', TORCHPORT_PYTHON: '/nonexistent/python3' },
    });
    expect(result.err).toMatch(/torch is unavailable, using committed goldens only/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/seed_single_conv\s+torch\s+-\s+-\s+-\s+-\s+float64-budget 4\s+-\s+SKIP: no Python interpreter with torch was found/);
    expect(result.out).toMatch(/seed_single_conv\s+onnx\s+3\/3\s+\S+\s+\S+\s+\d+\.\d\dx\s+float64-budget 4\s+\S+\s+PASS/);
  });

  it('run under CI fails a fixture without a golden and tells how to record it', async () => {
    await mkdir(join(project, 'new'), { recursive: true });
    await copyFile(join(repo, 'src/torch/test-fixtures/two_outputs_noisy.py'), join(project, 'new', 'fresh.py'));
    const result = await cli(['run', 'new/fresh.py', '--report', join(project, 'r3')], { cwd: project, env: { ...process.env, CI: 'true' } });
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/CHECK FAILED fresh golden:\n\s+- golden fresh is missing and goldens are not recorded under CI; record it locally with `npx torchport golden add .*fresh\.py`/);
  });

  it('inspect describes a .tflite model and refuses a truncated one with exit code 2', async () => {
    const { TfliteGraphBuilder, writeTflite } = await import('../tflite/index.ts');
    const graph = new TfliteGraphBuilder();
    const x = graph.input('x', 'float32', [1, 4]);
    const y = graph.activation('y', 'float32', [1, 4]);
    graph.op('RELU', [x], [y]);
    graph.output(y);
    const bytes = writeTflite(graph.build('test'));
    await writeFile(join(project, 'relu.tflite'), bytes);
    const inspected = await cli(['inspect', 'relu.tflite', '--json'], { cwd: project });
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.out)).toMatchObject({ operatorHistogram: { RELU: 1 }, inputs: [expect.objectContaining({ name: 'x' })] });
    await writeFile(join(project, 'cut.tflite'), bytes.subarray(0, 40));
    const truncated = await cli(['inspect', 'cut.tflite'], { cwd: project });
    expect(truncated.code).toBe(2);
    expect(truncated.err).toMatch(/cut\.tflite/);
  });

  it('the installed bin runs the CLI (npx torchport)', async () => {
    const result = await execa('node', [join(repo, 'bin/torchport.mjs'), 'golden', 'list'], { cwd: repo, reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/seed_single_conv/);
  });
});
