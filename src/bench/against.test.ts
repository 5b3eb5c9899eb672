// `bench --against`: the current models timed interleaved with a previous build's artifacts in one
// process. An unchanged build against its own artifacts must never be flagged, even while the
// machine is loaded (the load lands on both sides of every round); a planted slowdown must be.
// unet_decoder because it showed LiteRT's first-opened-model effect: without the decoy in
// run.ts, the current model (opened first) measured 1.20x [1.14, 1.28] against identical bytes,
// a false alarm.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertGolden, writeArtifacts } from '../convert/index.ts';
import { createTargets, loadGolden, type LatencySection } from '../harness/index.ts';
import { benchModels, type BenchOptions } from './run.ts';

const GOLDEN = join(import.meta.dirname, '../../golden/unet_decoder');
const PLAN = { rounds: 10, timePerWorkloadMs: 400, minRunsPerRound: 2, warmupMs: 50, warmupRuns: 5 };

/** Busy threads for at most `maxMs` (each stops itself even if nobody terminates it). */
function cpuLoad(threads: number, maxMs: number): { stop(): Promise<void> } {
  const code = `const end = Date.now() + ${maxMs}; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);`;
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true }));
  return { stop: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}

describe('bench --against (interleaved A/B in one process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-against-'));
    const conversion = await convertGolden(await loadGolden(GOLDEN), { variants: ['fp32', 'fp16'] });
    await writeArtifacts(conversion, dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const bench = (targets: string[], slowdown: Array<[string, number]> = [], against = true): Promise<{ latency: LatencySection }> =>
    benchModels([GOLDEN], {
      targets: createTargets(targets, { bridge: null, torchUnavailable: null }),
      reference: null,
      plan: PLAN,
      gate: { threshold: 0.1, alpha: 0.05, confidence: 0.95 },
      slowdown: new Map(slowdown),
      baseline: null,
      against: against ? { path: dir, targets: () => createTargets(targets, { bridge: null, torchUnavailable: null, artifactsDir: dir }) } : null,
    } satisfies BenchOptions);

  it('never flags the same build against its own artifacts, under CPU load (4 runs)', async () => {
    const load = cpuLoad(2, 60_000);
    try {
      for (let run = 0; run < 4; run++) {
        const { latency } = await bench(['tflite-fp32']);
        const current = latency.entries.find((e) => e.target === 'tflite-fp32')!;
        expect(latency.entries.find((e) => e.target === 'tflite-fp32@against')?.status).toBe('ok');
        expect(current.gate, `run ${run}`).toBeDefined();
        expect(current.gate!.verdict, `run ${run}: ratio ${current.gate!.ratio} [${current.gate!.low}, ${current.gate!.high}]`).not.toBe('regression');
        expect(latency.summary).toMatchObject({ gated: 1, regressions: 0, pass: true });
      }
    } finally {
      await load.stop();
    }
  }, 240_000);

  it('flags a planted 40% slowdown of the current model', async () => {
    const { latency } = await bench(['tflite-fp32'], [['tflite-fp32', 0.4]]);
    const current = latency.entries.find((e) => e.target === 'tflite-fp32')!;
    expect(current.gate!.verdict).toBe('regression');
    expect(current.gate!.low).toBeGreaterThan(1.1);
    expect(latency.summary.pass).toBe(false);
  });

  it('fails when fp16 runs slower than fp32 beyond the threshold (planted), and records the fp16 / fp32 ratio', async () => {
    const slowed = await bench(['tflite-fp32', 'tflite-fp16'], [['tflite-fp16', 0.5]], false);
    const check = slowed.latency.ratios.find((r) => r.target === 'tflite-fp16' && r.reference === 'tflite-fp32')!;
    expect(check.comparison.verdict).toBe('regression');
    expect(slowed.latency.summary).toMatchObject({ gated: 0, regressions: 1, pass: false });
  });
});
