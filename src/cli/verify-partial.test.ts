import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../harness/index.ts';
import { runCli } from './testing.ts';

const fixture = (name: string) => new URL(`../torch/test-fixtures/${name}`, import.meta.url).pathname;

describe('torchport verify with a fixture that cannot be recorded', () => {
  it('still verifies the others and writes a report that shows the failure, exit 1', async () => {
    const work = await mkdtemp(join(tmpdir(), 'verify-partial-'));
    try {
      const { code } = await runCli(['verify', fixture('raising.py'), fixture('two_outputs_noisy.py'), '--targets', 'torch', '--golden', join(work, 'golden'), '--report', join(work, 'reports')], {
        cwd: work,
        env: { ...process.env, CI: 'false' },
      });
      // Before: the first fixture's error ended the run (exit 2), nothing was verified and no report written.
      expect(code).toBe(1);
      const report = JSON.parse(await readFile(join(work, 'reports', 'latest', 'report.json'), 'utf8')) as RunReport;
      expect(report.results.filter((r) => r.model === 'two_outputs_noisy' && r.pass).length).toBeGreaterThan(0);
      const failed = report.checks.find((c) => c.model === 'raising' && !c.pass);
      expect(failed?.problems.join('\n')).toMatch(/this fixture is broken on purpose/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
