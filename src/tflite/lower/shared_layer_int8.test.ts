// Full int8 of a model that applies one layer several times (ALBERT shares its transformer layer across the
// depth): the calibration model exposes every tensor under its IR name, and the calls of a shared layer name
// theirs alike; LiteRT looks outputs up by name and refused the model ("Output name (null) was not found").
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/testing.ts';
import { uniqueNames } from './emit.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('calibration model of a shared layer', () => {
  it('numbers repeated signature names', () => {
    expect(uniqueNames(['a', 'b', 'a', 'a'])).toEqual(['a', 'b', 'a#2', 'a#3']);
  });

  it('full int8 of a layer applied three times runs and matches torch', async () => {
    const reports = await mkdtemp(join(tmpdir(), 'torchport-shared-'));
    try {
      const fixture = join(ROOT, 'src', 'torch', 'test-fixtures', 'shared_layer.py');
      const result = await runCli(['verify', fixture, '--targets', 'tflite-int8', '--json', '--report', reports], { cwd: ROOT, env: { ...process.env, CI: 'false' } });
      const rows = (JSON.parse(result.out) as { results: Array<{ status: string; reason?: string }> }).results;
      expect(rows.map((r) => `${r.status} ${r.reason ?? ''}`.trim())).toEqual(['pass', 'pass', 'pass']);
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  }, 600_000);
});
