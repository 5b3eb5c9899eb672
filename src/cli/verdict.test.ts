// What a green run means (issue 12): a run is green only when something was judged, nothing requested
// was skipped without permission, nothing is recorded under CI, the named fixture is the one that
// runs, and one bad fixture does not stop the others from being checked.
import { copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, serializeManifest } from '../harness/index.ts';
import { sha256File } from '../util/index.ts';
import { runCli } from './testing.ts';

const repo = new URL('../../', import.meta.url).pathname;
const testFixture = (name: string) => join(repo, 'src/torch/test-fixtures', name);

describe('a green run means the model was checked', () => {
  let project: string;
  const cli = (argv: string[], env: NodeJS.ProcessEnv = {}) => runCli(argv, { cwd: project, env: { ...process.env, CI: '', ...env } });
  const noTorch = { TORCHPORT_PYTHON: '/nonexistent/python3' };
  const report = async () => JSON.parse(await readFile(join(project, 'reports', 'latest', 'report.json'), 'utf8'));

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'verdict-test-'));
    await mkdir(join(project, 'suites', 'fixtures'), { recursive: true });
    await copyFile(testFixture('two_outputs_noisy.py'), join(project, 'suites', 'fixtures', 'tiny.py'));
    const added = await cli(['golden', 'add', 'suites/fixtures/tiny.py', '--targets', 'torch,onnx']);
    expect(added.code, added.err).toBe(0);
  }, 120_000);
  afterAll(() => rm(project, { recursive: true, force: true }));

  it('golden add records the accepted error levels (the drift ratchet baseline) of the targets it verified', async () => {
    const manifest = JSON.parse(await readFile(join(project, 'golden', 'tiny', 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.accepted).sort()).toEqual(['onnx', 'torch']);
    expect(manifest.accepted.torch.maxAbsDiff).toBe(0);
    expect((await cli(['golden', 'verify'])).code).toBe(0);
  });

  it('a requested target that was skipped is not green; --allow-skip allows it and the summary says why', async () => {
    const skipped = await cli(['verify', 'golden/tiny', '--targets', 'torch,onnx'], noTorch);
    expect(skipped.code).toBe(1);
    expect(skipped.out).toMatch(/tiny\s+torch\s.*SKIP: no Python interpreter with torch/);
    expect(skipped.out).toMatch(/FAIL: 6 passed, 0 failed, 0 errors, 1 skipped \(0 allowed\) of \d+ rows/);
    expect(skipped.out).toMatch(/NOT GREEN: 1 row\(s\) skipped without permission \(tiny torch: .*--allow-skip torch/);

    const allowed = await cli(['verify', 'golden/tiny', '--targets', 'torch,onnx', '--allow-skip', 'torch'], noTorch);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toMatch(/PASS: 6 passed, 0 failed, 0 errors, 1 skipped \(1 allowed: torch: allowed by --allow-skip\) of \d+ rows/);
    expect((await report()).summary).toMatchObject({ pass: true, judged: 6, skipped: 1, skippedAllowed: 1 });
  });

  it('a run that judged no row is not green, even with the skip allowed', async () => {
    const result = await cli(['verify', 'golden/tiny', '--targets', 'torch', '--allow-skip', 'torch'], noTorch);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/NOT GREEN: no row was judged/);
    expect((await report()).summary).toMatchObject({ pass: false, judged: 0 });
  });

  it('--seeds naming seeds the golden does not have fails, naming the recorded ones', async () => {
    const result = await cli(['verify', 'golden/tiny', '--targets', 'onnx', '--seeds', '0']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/seed\(s\) 0 requested but not recorded in golden tiny \(recorded: 5, 6, 7\)/);
    expect(result.out).toMatch(/NOT GREEN: no row was judged/);
  });

  it('a golden without a captured graph does not silently drop the Keras and TFLite checks', async () => {
    // The output goes through numpy, so graph capture cannot follow it: the golden records why.
    await writeFile(
      join(project, 'numpy_detour.py'),
      [
        'import torch',
        'INPUT_SHAPES = [[2, 3]]',
        'class M(torch.nn.Module):',
        '    def forward(self, x):',
        '        return torch.from_numpy(x.numpy() * 2.0)',
        'def build():',
        '    return M()',
        '',
      ].join('\n'),
    );
    const result = await cli(['verify', 'numpy_detour.py', '--targets', 'torch,keras,tflite-fp32']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/numpy_detour\s+keras\s.*SKIP: golden numpy_detour has no captured graph/);
    expect(result.out).toMatch(/NOT GREEN: 2 row\(s\) skipped without permission/);
    const allowed = await cli(['verify', 'numpy_detour.py', '--targets', 'torch,keras,tflite-fp32', '--allow-skip', 'keras,tflite-fp32']);
    expect(allowed.code).toBe(0);
  }, 120_000);

  it('under CI, verify records nothing: a fixture without a committed golden fails with the command that records it', async () => {
    await mkdir(join(project, 'new'), { recursive: true });
    await copyFile(testFixture('two_outputs_noisy.py'), join(project, 'new', 'fresh.py'));
    // A private TMPDIR (this file runs in its own process): other test files record temporary
    // goldens into the shared one at the same time.
    const temp = await mkdtemp(join(project, 'tmp-'));
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = temp;
    let result: Awaited<ReturnType<typeof cli>>;
    try {
      expect(tmpdir()).toBe(temp);
      result = await cli(['verify', 'new/fresh.py', '--targets', 'onnx'], { CI: 'true' });
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/golden fresh is missing and goldens are not recorded under CI; record it locally with `npx torchport golden add .*fresh\.py`/);
    expect(result.err).not.toMatch(/recording/);
    expect(existsSync(join(project, 'golden', 'fresh'))).toBe(false);
    expect(await readdir(temp)).toEqual([]);
  });

  it('refuses a fixture path that is not the file its golden was recorded from, naming both', async () => {
    await mkdir(join(project, 'other'), { recursive: true });
    await writeFile(join(project, 'other', 'tiny.py'), 'INPUT_SHAPES = [[2, 3], [2, 3]]\n\ndef build():\n    raise ValueError("this copy is broken")\n');
    const result = await cli(['verify', 'other/tiny.py', '--targets', 'onnx']);
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      `${join(project, 'other', 'tiny.py')}: golden ${join(project, 'golden', 'tiny')} was recorded from ${join(project, 'suites', 'fixtures', 'tiny.py')}, a different file`,
    );
    const run = await cli(['run', 'other/tiny.py', '--targets', 'onnx']);
    expect(run.code).toBe(2);
  });

  it('models with no TFLite operator (Dropout in eval, clone, contiguous, an absorbed permute) convert to graphs that write their outputs', async () => {
    const identities: Record<string, string> = { dropout: 'torch.nn.functional.dropout(x, 0.5, False)', clone: 'x.clone()', contiguous: 'x.contiguous()', permute: 'x.permute(0, 2, 3, 1)' };
    await mkdir(join(project, 'identity'), { recursive: true });
    for (const [name, expression] of Object.entries(identities)) {
      const source = ['import torch', 'INPUT_SHAPES = [[1, 3, 4, 5]]', 'class M(torch.nn.Module):', '    def forward(self, x):', `        return ${expression}`, 'def build():', '    return M()', ''];
      await writeFile(join(project, 'identity', `${name}.py`), source.join('\n'));
    }
    const result = await cli(['verify', ...Object.keys(identities).map((n) => `identity/${n}.py`), '--targets', 'tflite-fp32,tflite-int8']);
    expect(result.out).toMatch(/PASS: 24 passed, 0 failed, 0 errors, 0 skipped of 24 rows/);
    expect(result.code).toBe(0);
  }, 180_000);

  it('one bad fixture or golden is an error of its own; the run goes on and still exits 1', async () => {
    const bad = join(project, 'bad');
    await mkdir(bad, { recursive: true });
    for (const name of ['raising.py', 'hanging.py', 'bad_shapes.py']) await copyFile(testFixture(name), join(bad, name));
    await writeFile(join(bad, 'exiting.py'), 'import sys\nINPUT_SHAPES = [[1, 4]]\n\ndef build():\n    sys.exit(3)\n');
    // A golden whose reference tensor is corrupt, its hash rewritten so that only decoding can tell.
    await cp(join(project, 'golden', 'tiny'), join(bad, 'golden', 'corrupt'), { recursive: true });
    await writeFile(join(bad, 'golden', 'corrupt', 'seed-6', 'output_1.npy'), 'not an npy file');
    const manifestPath = join(bad, 'golden', 'corrupt', 'manifest.json');
    const manifest = parseManifest(await readFile(manifestPath, 'utf8'), manifestPath);
    const files = { ...manifest.files, 'seed-6/output_1.npy': await sha256File(join(bad, 'golden', 'corrupt', 'seed-6', 'output_1.npy')) };
    await writeFile(manifestPath, serializeManifest({ ...manifest, name: 'corrupt', fixture: { ...manifest.fixture, path: '../../../suites/fixtures/tiny.py' }, files }));
    const inputs = ['bad/raising.py', 'bad/hanging.py', 'bad/exiting.py', 'bad/bad_shapes.py', 'bad/golden/corrupt', 'golden/tiny'];
    const result = await cli(['verify', ...inputs, '--targets', 'torch,onnx'], { TORCHPORT_BRIDGE_TIMEOUT_MS: '8000' });
    expect(result.code, result.err).toBe(1);
    const judged = await report();
    const failedChecks = judged.checks.filter((c: { pass: boolean }) => !c.pass).map((c: { model: string; problems: string[] }) => `${c.model}: ${c.problems.join(' ')}`);
    expect(failedChecks).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^raising: recording failed: .*broken on purpose/s),
        expect.stringMatching(/^hanging: recording failed: .*(timed out|timeout)/is),
        expect.stringMatching(/^exiting: recording failed: /),
        expect.stringMatching(/^bad_shapes: recording failed: .*INPUT_SHAPES/s),
        expect.stringMatching(/^corrupt: seed 6 outputs cannot be read: .*output_1\.npy/s),
      ]),
    );
    const rowsOf = (model: string) => judged.results.filter((r: { model: string }) => r.model === model);
    expect(rowsOf('tiny').length).toBe(12);
    expect(rowsOf('tiny').every((r: { pass: boolean }) => r.pass)).toBe(true);
  }, 300_000);
});
