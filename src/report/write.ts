import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from '../harness/run/index.ts';
import { replaceDirectory, temporarySibling } from '../util/index.ts';

export const REPORT_FILE = 'report.json';

/**
 * Writes DIR/<run id>/report.json and refreshes DIR/latest/ to the same content. Both appear
 * whole or not at all (staged, then renamed into place).
 */
export async function writeRunReport(reportsRoot: string, report: RunReport): Promise<{ runDir: string; latestDir: string }> {
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const runDir = join(reportsRoot, report.runId);
  const latestDir = join(reportsRoot, 'latest');
  await mkdir(reportsRoot, { recursive: true });
  for (const dir of [runDir, latestDir]) {
    const staging = temporarySibling(dir);
    await mkdir(staging);
    await writeFile(join(staging, REPORT_FILE), json);
    await replaceDirectory(staging, dir);
  }
  return { runDir, latestDir };
}
