import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeRun, parseSuite, type RunReport } from '../harness/index.ts';
import { renderHtml } from './index.ts';
import { countColour, decodePng } from '../../test/support/png.ts';
import { recordOnnxRun } from './testing/run.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

describe('report.html', () => {
  let work: string;
  let report: RunReport;
  beforeAll(async () => {
    // A real run of two committed goldens on ONNX Runtime, re-judged so one model fails: one passing
    // and one failing cell, plus a per-layer plot for the failure.
    work = await mkdtemp(join(tmpdir(), 'html-test-'));
    const { record, runDir } = await recordOnnxRun(work, 'html-test');
    const judged = await judgeRun(record, runDir, parseSuite({ tolerances: { fixtures: { resnet_basic_block: { onnx: { atol: 1e-9 } } } } }, null));
    report = {
      ...judged,
      targets: judged.targets.map((t) =>
        t.model === 'resnet_basic_block'
          ? {
              ...t,
              divergence: {
                tolerance: 1e-9,
                first: { module: 'layer1.0.conv1', op: 'Conv2d', convertedName: 'layer1.0.conv1', maxAbsDiff: 2e-7, maxAbsReference: 3 },
                layers: [
                  { module: 'conv1', op: 'Conv2d', convertedName: 'conv1', maxAbsDiff: 1e-10, maxAbsReference: 2 },
                  { module: 'layer1.0.conv1', op: 'Conv2d', convertedName: 'layer1.0.conv1', maxAbsDiff: 2e-7, maxAbsReference: 3 },
                  { module: 'fc', op: 'Linear', convertedName: 'fc', maxAbsDiff: 1e-6, maxAbsReference: 3 },
                ],
              },
            }
          : t,
      ),
    };
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('is one self-contained file: no scripts, stylesheets or images fetched from anywhere', () => {
    const html = renderHtml(report);
    expect(html).not.toMatch(/<script\b|<link\b|src=|url\(|https?:\/\//);
    expect(html).toContain('resnet_basic_block');
    expect(html).toContain('first divergent layer <b>layer1.0.conv1</b>');
  });

  it('draws a layer whose error is Infinity (infinities that disagree) at the top of the plot instead of failing', () => {
    const layers = report.targets.find((t) => t.divergence)!.divergence!.layers;
    const withInfinity: RunReport = {
      ...report,
      targets: report.targets.map((t) =>
        t.divergence
          ? { ...t, divergence: { ...t.divergence, layers: [...layers, { module: 'mask', op: 'Tensor.masked_fill', convertedName: 'mask', maxAbsDiff: Infinity, maxAbsReference: 1 }] } }
          : t,
      ),
    };
    const html = renderHtml(withInfinity);
    expect(html).toContain('>mask<');
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it('renders in headless Chromium: the verdict, a green passing cell, a red failing cell and the per-layer plot', async (ctx) => {
    if (!existsSync(CHROMIUM)) return ctx.skip(`no Chromium at ${CHROMIUM} (npm run setup installs Debian's chromium)`);
    const page = join(work, 'report.html');
    const shot = join(work, 'report.png');
    await writeFile(page, renderHtml(report));
    await execa(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${join(work, 'profile')}`,
        '--window-size=1000,1100',
        `--screenshot=${shot}`,
        `file://${page}`,
      ],
      { timeout: 60_000, reject: true },
    );
    const png = decodePng(new Uint8Array(await readFile(shot)));
    expect(png.width).toBe(1000);
    expect(countColour(png, '#2e9e4f')).toBeGreaterThan(500); // seed_single_conv passes with a wide margin
    expect(countColour(png, '#e0433a')).toBeGreaterThan(500); // resnet_basic_block fails at atol 1e-9 (cell + plot line)
    expect(countColour(png, '#fde2e0')).toBeGreaterThan(1000); // the FAIL verdict banner
    expect(countColour(png, '#2b6cb0')).toBeGreaterThan(50); // the per-layer error line
  });
});
