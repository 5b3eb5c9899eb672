// A failing int8 row gets its per-layer diagnosis even when the quant-steps rule would, without the
// output's quantization scale, fall back to a relative bound that passes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.ts';
import type { RunReport } from '../index.ts';

const golden = new URL('../../../golden/seed_single_conv', import.meta.url).pathname;

describe('per-layer diagnosis of a failing int8 row', () => {
  it('runs when the quant-steps verdict fails although its relative fallback would pass', async () => {
    const work = await mkdtemp(join(tmpdir(), 'diagnosis-test-'));
    try {
      const suite = join(work, 'tight.json');
      const rule = { rule: 'quant-steps', steps: 0.01, minCosine: 0, fallbackRelError: 10 };
      await writeFile(suite, JSON.stringify({ name: 'tight', fixtures: [], targets: ['tflite-int8'], tolerances: { targets: { 'tflite-int8': rule } } }));
      const { code, out } = await runCli(['verify', suite, golden, '--json', '--report', join(work, 'reports')], { cwd: work, env: process.env });
      expect(code).toBe(1);
      const report = JSON.parse(out) as RunReport;
      expect(report.results.filter((r) => r.target === 'tflite-int8').some((r) => !r.pass)).toBe(true);
      const target = report.targets.find((t) => t.target === 'tflite-int8');
      expect(target?.divergence?.layers.length).toBeGreaterThan(0);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 180_000);
});
