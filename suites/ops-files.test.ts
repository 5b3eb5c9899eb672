// The operator suite's files (suites/ops/<family>/*.py, suites/ops.json) are generated from the family
// tables by scripts/make-op-fixtures.py: they must match the tables, load as a suite, and every case
// must build and run in torch with an output that depends on its input.
import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../src/harness/index.ts';
import { findTorchPython } from '../src/torch/index.ts';

const ROOT = join(import.meta.dirname, '..');
const GENERATOR = join(ROOT, 'scripts', 'make-op-fixtures.py');

describe('operator suite files', () => {
  it('match the family tables (else run `python3 scripts/make-op-fixtures.py`)', async () => {
    const { executable } = await findTorchPython();
    const result = await execa(executable, [GENERATOR, '--check'], { reject: false });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('suites/ops.json loads and names existing fixtures whose golden names clash with no bundled fixture', async () => {
    const suite = await loadSuite(join(ROOT, 'suites', 'ops.json'));
    expect(suite.targets).not.toContain('torch');
    expect(suite.fixtures.length).toBeGreaterThanOrEqual(300);
    expect(suite.fixtures.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
    const names = [...suite.fixtures, ...readdirSync(join(ROOT, 'suites', 'fixtures')).filter((f) => f.endsWith('.py') && !f.startsWith('_'))].map((f) => basename(f));
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('every case builds in torch and its outputs change with the input', async () => {
    const { executable } = await findTorchPython();
    const result = await execa(executable, [GENERATOR, '--check', '--smoke'], { reject: false });
    expect(result.stdout).toContain('smoke: every fixture builds, runs and depends on its input');
    expect(result.exitCode).toBe(0);
  });
});
