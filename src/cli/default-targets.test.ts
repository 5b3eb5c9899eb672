// A project without a suite of its own gets sensible defaults: the targets that need nothing but
// the npm packages and torch, all of which must pass on a committed golden.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TARGETS, type RunReport } from '../harness/index.ts';
import { runCli } from './testing.ts';

const golden = new URL('../../golden/seed_single_conv', import.meta.url).pathname;

describe('verify in a project without suites/default.json', () => {
  it('runs the default targets (not the TensorFlow-side ones) and is green on a committed golden', async () => {
    const work = await mkdtemp(join(tmpdir(), 'user-project-'));
    try {
      const { code, out, err } = await runCli(['verify', golden, '--json', '--report', join(work, 'reports')], { cwd: work, env: process.env });
      expect(code, err).toBe(0);
      const report = JSON.parse(out) as RunReport;
      expect([...new Set(report.results.map((r) => r.target))].sort()).toEqual([...DEFAULT_TARGETS].sort());
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 180_000);
});
