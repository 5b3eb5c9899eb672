// examples/github-actions/: the workflow's torchport steps are examples/github-actions/torchport-ci.sh,
// run here as the workflow runs them: two shards, their merge, the job summary. The merged report
// must be the report of one unsharded run of the same models.
import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../harness/index.ts';
import { renderJunit } from '../report/index.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const example = join(repo, 'examples/github-actions');
const goldens = ['trap_noops', 'trap_broadcast', 'resnet_basic_block', 'trap_flatten_linear', 'two_inputs_two_outputs'].map((g) => join(repo, 'golden', g));
const verifyArgs = [...goldens, '--targets', 'onnx,keras'];
const env = { ...process.env, CI: '1', TORCHPORT: `node ${join(repo, 'bin/torchport.mjs')}` };

/** What must not depend on sharding: everything but ids, clocks and timings. */
function comparable(report: RunReport) {
  return {
    suite: report.suite,
    summary: report.summary,
    models: report.models,
    targets: report.targets.map(({ firstRunMs: _ms, ...rest }) => rest),
    checks: report.checks,
    results: report.results,
  };
}

describe('the GitHub Actions example', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ci-workflow-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('calls the script this test runs', async () => {
    const workflow = await readFile(join(example, 'parity.yml'), 'utf8');
    expect(workflow).toMatch(/torchport-ci\.sh shard \$\{\{ matrix\.shard \}\} \$SHARDS shard-reports/);
    expect(workflow).toMatch(/torchport-ci\.sh merge shard-reports/);
    expect(workflow).toMatch(/path: shard-reports\/merged\/report\.md/);
    expect(workflow).toMatch(/report_paths: shard-reports\/merged\/junit\.xml/);
  });

  it('two shards merged give the report of one run, and the job summary renders it', async () => {
    const pieces = join(work, 'shard-reports');
    const script = join(example, 'torchport-ci.sh');
    for (const index of [1, 2]) {
      const shard = await execa('bash', [script, 'shard', String(index), '2', pieces, ...verifyArgs], { cwd: repo, env, reject: false });
      expect(shard.exitCode, shard.stderr).toBe(0);
    }
    const one = JSON.parse((await execa('node', [join(repo, 'bin/torchport.mjs'), 'verify', ...verifyArgs, '--report', join(work, 'single'), '--json'], { cwd: repo, env })).stdout) as RunReport;

    const summary = join(work, 'step-summary.md');
    const merge = await execa('bash', [join(example, 'torchport-ci.sh'), 'merge', pieces], { cwd: repo, env: { ...env, GITHUB_STEP_SUMMARY: summary }, reject: false });
    expect(merge.exitCode, merge.stderr).toBe(0);
    const merged = JSON.parse(await readFile(join(pieces, 'merged', 'report.json'), 'utf8')) as RunReport;

    const pieceModels = await Promise.all([1, 2].map(async (i) => (JSON.parse(await readFile(join(pieces, `report-${i}.json`), 'utf8')) as RunReport).models.map((m) => m.model)));
    expect(pieceModels.map((m) => m.length)).toEqual([2, 3]);
    expect(comparable(merged)).toEqual(comparable(one));
    expect(await readFile(join(pieces, 'merged', 'junit.xml'), 'utf8')).toBe(renderJunit(one));

    const markdown = await readFile(summary, 'utf8');
    expect(markdown.split('\n')[0]).toMatch(
      /^### ✅ torchport default: PASS: \d+ passed, 0 failed, 0 errors, 0 skipped of \d+ rows \(seed x output\) on 10 model x target lines, 5 models; 0 failed checks/,
    );
    expect(markdown).toContain('<details><summary>All ');
    expect(markdown).toMatch(/\| two_inputs_two_outputs \| keras \| 3\/3 \|/);
    expect(markdown).toBe(await readFile(join(pieces, 'merged', 'report.md'), 'utf8'));
  });

  it("keeps a failing shard's report and its exit code; the merge fails too", async () => {
    const pieces = join(work, 'failing');
    const suite = join(work, 'strict.json');
    await writeFile(suite, JSON.stringify({ name: 'strict', tolerances: { fixtures: { resnet_basic_block: { onnx: { atol: 1e-12 } } } } }));
    const script = join(example, 'torchport-ci.sh');
    const shard = await execa('bash', [script, 'shard', '1', '1', pieces, suite, goldens[2]!, '--targets', 'onnx'], { cwd: repo, env, reject: false });
    expect(shard.exitCode).toBe(1);
    expect((JSON.parse(await readFile(join(pieces, 'report-1.json'), 'utf8')) as RunReport).summary.pass).toBe(false);
    const summary = join(work, 'failing-summary.md');
    const merge = await execa('bash', [script, 'merge', pieces], { cwd: repo, env: { ...env, GITHUB_STEP_SUMMARY: summary }, reject: false });
    expect(merge.exitCode).toBe(1);
    expect(await readFile(summary, 'utf8')).toMatch(/^### ❌ torchport strict: FAIL[\s\S]*\| ❌ fail \| resnet_basic_block \/ onnx \|/);
    const usage = await execa('bash', [script, 'verify'], { reject: false });
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toMatch(/usage: .* shard I N OUT/);
  });
});
