import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from '../harness/index.ts';
import { replaceDirectory, temporarySibling } from '../util/index.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

export const REPORT_FILES = { json: 'report.json', markdown: 'report.md', junit: 'junit.xml', html: 'report.html' } as const;

function renderAll(report: RunReport): Record<string, string> {
  return {
    [REPORT_FILES.json]: `${JSON.stringify(report, null, 2)}\n`,
    [REPORT_FILES.markdown]: renderMarkdown(report),
    [REPORT_FILES.junit]: renderJunit(report),
    [REPORT_FILES.html]: renderHtml(report),
  };
}

/**
 * Writes report.json, report.md, junit.xml and report.html into `dir` (the run's directory, beside
 * run.json) and refreshes `latestDir` to the same report files. latest/ appears whole or not at all.
 */
export async function writeReports(report: RunReport, dir: string, latestDir?: string): Promise<void> {
  const files = renderAll(report);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  if (!latestDir) return;
  // A unique staging folder per call; replaceDirectory retries when another run publishes
  // latest/ at the same moment (the last one wins) and removes what it staged or set aside.
  const staging = temporarySibling(latestDir);
  try {
    await mkdir(staging, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(staging, name), text);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  await replaceDirectory(staging, latestDir);
}
