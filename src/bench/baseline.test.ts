import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_MAX_SAMPLES, BaselineError, createBaseline, findBaselineEntry, loadBaseline, saveBaseline } from './baseline.ts';
import { CALIBRATION_KERNEL } from './calibration.ts';

describe('latency baselines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-baseline-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const many = Array.from({ length: 1000 }, (_, i) => 1 + i / 1000);
  const baseline = createBaseline({
    machine: 'linux test, 2 x cpu',
    gitCommit: 'abc',
    calibrationMs: 0.9,
    now: new Date('2026-11-28T00:00:00Z'),
    entries: [
      { model: 'm', target: 'onnx', p50Ms: 1.5, samples: many },
      { model: 'm', target: 'keras', p50Ms: 2.5, samples: [2.25, 2.5, 2.75] },
    ],
  });

  it('records the calibration kernel and thins long sample lists, keeping the extremes', () => {
    expect(baseline.calibration).toEqual({ kernel: CALIBRATION_KERNEL, medianMs: 0.9 });
    const onnx = findBaselineEntry(baseline, 'm', 'onnx')!;
    expect(onnx.samples).toHaveLength(BASELINE_MAX_SAMPLES);
    expect(onnx.samples[0]).toBe(1);
    expect(onnx.samples.at(-1)).toBe(1.999);
    expect(findBaselineEntry(baseline, 'm', 'keras')!.samples).toEqual([2.25, 2.5, 2.75]);
    expect(findBaselineEntry(baseline, 'm', 'tflite-fp32')).toBeUndefined();
  });

  it('round-trips through a file', async () => {
    const path = join(dir, 'baseline.json');
    await saveBaseline(path, baseline);
    expect(await loadBaseline(path)).toEqual(baseline);
  });

  it('refuses a missing file, other formats, another calibration kernel and bad samples, saying what to do', async () => {
    await expect(loadBaseline(join(dir, 'nope.json'))).rejects.toThrow(/no such file \(record one with --save-baseline\)/);
    const write = async (name: string, value: unknown): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
      return path;
    };
    await expect(loadBaseline(await write('bad.json', '{'))).rejects.toBeInstanceOf(BaselineError);
    await expect(loadBaseline(await write('report.json', { format: 'torchport-report' }))).rejects.toThrow(/not a torchport latency baseline/);
    await expect(loadBaseline(await write('kernel.json', { ...baseline, calibration: { kernel: 'other@0', medianMs: 1 } }))).rejects.toThrow(/calibration kernel other@0.*record a new baseline/);
    const broken = { ...baseline, entries: [{ model: 'm', target: 'onnx', p50Ms: 1, samples: [1, -2] }] };
    await expect(loadBaseline(await write('samples.json', broken))).rejects.toThrow(/entries\[0\]/);
  });
});
