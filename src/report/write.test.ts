import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSuite, onnxTarget, verifyModels, type RunReport } from '../harness/index.ts';
import { REPORT_FILES, writeReports } from './write.ts';

const golden = (name: string) => new URL(`../../golden/${name}`, import.meta.url).pathname;

describe('writeReports', () => {
  let work: string;
  let report: RunReport;
  beforeAll(async () => {
    // A real report: one committed golden run on ONNX Runtime.
    work = await mkdtemp(join(tmpdir(), 'write-test-'));
    ({ report } = await verifyModels([{ golden: golden('seed_single_conv') }], {
      suite: defaultSuite(['onnx']),
      targets: [onnxTarget()],
      goldenRoot: golden('.'),
      runDir: join(work, 'run'),
      runId: 'write-test',
      ci: true,
      bridge: null,
      torch: null,
      torchUnavailable: 'not needed',
      cwd: work,
    }));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('replaces latest/ whole when writers overlap, and leaves no staging or set-aside folder behind', async () => {
    const latest = join(work, 'latest');
    for (let round = 0; round < 20; round++) {
      const reports = [0, 1, 2].map((i) => ({ ...report, runId: `round-${round}-${i}` }));
      // Before: ENOTEMPTY from the rename in about a third of the rounds, and .latest.old-* / .latest.tmp-* left over.
      const settled = await Promise.allSettled(reports.map((r, i) => writeReports(r, join(work, `run-${i}`), latest)));
      expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
      expect((await readdir(latest)).sort()).toEqual(Object.values(REPORT_FILES).sort());
      const written = JSON.parse(await readFile(join(latest, REPORT_FILES.json), 'utf8')) as RunReport;
      expect(reports.map((r) => r.runId)).toContain(written.runId);
    }
    expect((await readdir(work)).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});
