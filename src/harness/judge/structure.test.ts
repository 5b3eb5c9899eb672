// A structure failure says which suite key allows what failed, so the reader knows what to change.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.ts';

const golden = new URL('../../../golden/shufflenet_channel_shuffle', import.meta.url).pathname;

describe('structure checks', () => {
  it('a TRANSPOSE count over the suite limit names the suite key that allows it', async () => {
    const work = await mkdtemp(join(tmpdir(), 'structure-test-'));
    try {
      // The channel shuffle needs TRANSPOSE ops; this suite does not grant them.
      const suite = join(work, 'strict.json');
      await writeFile(suite, JSON.stringify({ name: 'strict', fixtures: [], targets: ['tflite-fp32'], structure: { maxTranspose: 0 } }));
      const { code, out } = await runCli(['verify', suite, golden, '--report', join(work, 'reports')], { cwd: work, env: process.env });
      expect(code).toBe(1);
      expect(out).toMatch(/\d+ TRANSPOSE ops \(the suite allows 0\); if the model needs them, set structure\.fixtures\.shufflenet_channel_shuffle\.maxTranspose \(with a reason\) in the suite/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 120_000);
});
