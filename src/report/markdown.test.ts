// report.md and the terminal table on a real run: two committed goldens on ONNX Runtime, re-judged
// with a tolerance one of them cannot meet, so there is a passing and a failing model.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeRun, parseSuite, type RunReport } from '../harness/index.ts';
import { shortenReason } from './format.ts';
import { renderMarkdown, summaryTable } from './index.ts';
import { recordOnnxRun } from './testing/run.ts';

describe('shortenReason', () => {
  it('keeps what follows a line break (the op after "...:") and never cuts inside a number', () => {
    const unsupported = '1 unsupported operation(s) in the captured graph:\n  aten::stft at spec.0 (call_function)\nTried: torch.fx, torch.jit.trace';
    expect(shortenReason(unsupported, 110)).toEqual({ text: '1 unsupported operation(s) in the captured graph: aten::stft at spec.0 (call_function) Tried: torch.fx…', shortened: true });
    const value = 'output 0 seed 1: max abs diff 0.0123 at [0, 3] (actual 0.0785 vs reference 0.0908) exceeds atol 1e-5';
    for (let max = 20; max < value.length; max++) {
      const { text } = shortenReason(value, max);
      expect(text.length).toBeLessThanOrEqual(max);
      const words = text.slice(0, -1).split(' ');
      const source = value.split(' ').slice(0, words.length);
      expect(words.slice(0, -1)).toEqual(source.slice(0, -1));
      expect(source.at(-1)!.replace(/[:;,(]+$/, '')).toBe(words.at(-1)); // the last word whole, less its trailing punctuation
    }
    expect(shortenReason('short', 110)).toEqual({ text: 'short', shortened: false });
  });
});

describe('report.md and the terminal table', () => {
  let work: string;
  let report: RunReport;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'markdown-test-'));
    const { record, runDir } = await recordOnnxRun(work, 'markdown-test');
    report = await judgeRun(record, runDir, parseSuite({ tolerances: { fixtures: { resnet_basic_block: { onnx: { atol: 1e-12 } } } } }, null));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('puts the verdict first, then the failure with its reason, then every line folded in <details>', () => {
    const md = renderMarkdown(report);
    const rows = report.summary.rows;
    expect(md.split('\n')[0]).toBe(
      `### ❌ torchport ${report.suite}: FAIL: ${report.summary.passed} passed, ${report.summary.failed} failed, 0 errors, 0 skipped of ${rows} rows (seed x output) on 2 model x target lines, 2 models; 0 failed checks`,
    );
    const failures = md.indexOf('**Failures and regressions (1)**');
    const details = md.indexOf('<details><summary>All ');
    expect(failures).toBeGreaterThan(0);
    expect(details).toBeGreaterThan(failures);
    const failureRow = md.split('\n').find((l) => l.startsWith('| ❌ fail |'))!;
    expect(failureRow).toMatch(
      /^\| ❌ fail \| resnet_basic_block \/ onnx \| max\\\|diff\\\| [\d.e+-]+ \(relative to max\\\|ref\\\| [\d.e+-]+: [\d.e+-]+\) > 1e-12 x max\(1, max\\\|ref\\\|\) = [\d.e+-]+; worst at \[0, \d\]: .* vs reference .* \| - \|$/,
    );
    expect(md.slice(0, details)).not.toContain('seed_single_conv'); // passing lines only in the folded table
    expect(md.slice(details)).toMatch(/\| seed_single_conv \| onnx \| 3\/3 \|/);
    expect(md.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('names the first divergent layer of a failing line when the run diagnosed one', () => {
    // The run's per-layer diagnosis (what keras and tflite targets attach to a failure), on the failing line.
    const layer = { module: 'layer1.0.conv1', op: 'Conv2d', convertedName: 'layer1.0.conv1', maxAbsDiff: 2e-7, maxAbsReference: 3 };
    const diagnosed: RunReport = {
      ...report,
      targets: report.targets.map((t) => (t.model === 'resnet_basic_block' ? { ...t, divergence: { tolerance: 1e-9, first: layer, layers: [layer] } } : t)),
    };
    const row = renderMarkdown(diagnosed)
      .split('\n')
      .find((l) => l.startsWith('| ❌ fail | resnet_basic_block / onnx |'))!;
    expect(row.endsWith('| `layer1.0.conv1` (Conv2d, max abs diff 2.00e-7) |')).toBe(true);
  });

  it('says where the full text of a shortened reason is', () => {
    const long = 'output_0 seed 0: ' + 'the unsupported operation aten::stft at spec.0 '.repeat(10);
    const shortened: RunReport = { ...report, results: report.results.map((r) => (r.pass ? r : { ...r, reason: long })) };
    const md = renderMarkdown(shortened);
    expect(md).toContain('**Failures and regressions (1)** (… = shortened; full text in report.json and report.html)');
    expect(renderMarkdown(report)).not.toContain('= shortened');
    expect(summaryTable(shortened)).toContain("(… = reason shortened; the full text of every reason is in this run's report.json and report.html)");
  });

  it("shows each line's error against the float64 answer, PyTorch float32's own, and the rounding cost", () => {
    const row = report.results.find((r) => r.model === 'seed_single_conv')!;
    if (!row.float64 || !('ratio' in row.float64)) throw new Error('seed_single_conv has a float64 answer: the row must carry its column');
    const md = renderMarkdown(report);
    expect(md).toContain("| vs float64 (PyTorch fp32's) | rounding cost |");
    expect(md).toMatch(/\| seed_single_conv \| onnx \| 3\/3 \| [\d.e+-]+ \| [\d.e+-]+ \| [\d.]+e-\d+ \([\d.]+e-\d+\) \| \d+\.\d\dx \|/);
    expect(summaryTable(report)).toMatch(/vs f64/);
    expect(summaryTable(report)).toMatch(/seed_single_conv\s+onnx\s+3\/3\s+\S+\s+\S+\s+\d+\.\d\dx /);
  });

  it('the terminal table counts rows and model x target lines', () => {
    const table = summaryTable(report);
    expect(table.split('\n').at(-1)).toMatch(/^FAIL: \d+ passed, \d+ failed, 0 errors, 0 skipped of \d+ rows \(seed x output\) on 2 model x target lines, 2 models; 0 failed checks$/);
    expect(table).toMatch(/resnet_basic_block\s+onnx\s+0\/3 .* FAIL: /);
  });
});
