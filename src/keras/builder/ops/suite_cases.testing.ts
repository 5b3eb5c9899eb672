// For the op-family tests: runs `torchport verify suites/ops.json <cases>` once (one torch worker
// records every temporary golden against real torch) and returns each case's rows per target.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/testing.ts';

export const FLOAT_TARGETS = ['keras', 'tflite-fp32', 'tflite-fp16', 'tflite-dynamic-int8'] as const;

export interface CaseRow {
  readonly model: string;
  readonly target: string;
  readonly status: string;
  readonly reason?: string;
}

/** One target of one case as the report records it: the TFLite targets carry the file's operator histogram. */
export interface TargetRecord {
  readonly model: string;
  readonly target: string;
  readonly structure?: { readonly ops: Readonly<Record<string, number>> };
}

const ROOT = resolve(import.meta.dirname, '../../../..');

/** One `torchport verify` over suites/ops/<family>/<filePrefix><case>.py: its exit code, every row and every target record. */
export async function verifyOpCaseFiles(family: string, filePrefix: string, cases: readonly string[], targets: readonly string[]): Promise<{ code: number; rows: CaseRow[]; targets: TargetRecord[] }> {
  const reports = await mkdtemp(join(tmpdir(), 'torchport-ops-'));
  try {
    const files = cases.map((name) => `suites/ops/${family}/${filePrefix}${name}.py`);
    const result = await runCli(['verify', 'suites/ops.json', ...files, '--targets', targets.join(','), '--json', '--report', reports], { cwd: ROOT, env: { ...process.env, CI: 'false' } });
    const report = JSON.parse(result.out) as { results: CaseRow[]; targets: TargetRecord[] };
    return { code: result.code, rows: report.results, targets: report.targets };
  } finally {
    await rm(reports, { recursive: true, force: true });
  }
}

/** Verifies suites/ops/<family>/<prefix>_<case>.py for each case on `targets`; rows and target records grouped by case name. */
async function verifyOpCases(family: string, prefix: string, cases: readonly string[], targets: readonly string[]): Promise<{ byCase: Map<string, CaseRow[]>; records: Map<string, TargetRecord[]> }> {
  const result = await verifyOpCaseFiles(family, `${prefix}_`, cases, targets);
  const group = <T extends { model: string }>(items: readonly T[]): Map<string, T[]> => {
    const grouped = new Map<string, T[]>();
    for (const item of items) {
      const name = item.model.slice(prefix.length + 1);
      grouped.set(name, [...(grouped.get(name) ?? []), item]);
    }
    return grouped;
  };
  return { byCase: group(result.rows), records: group(result.targets) };
}

/** "case target: status (reason)" for every row that did not pass, to show in a failed expectation. */
export const notPassing = (byCase: ReadonlyMap<string, readonly CaseRow[]>): string[] =>
  [...byCase.entries()].flatMap(([name, rows]) => rows.filter((r) => r.status !== 'pass').map((r) => `${name} ${r.target}: ${r.status} ${r.reason ?? ''}`));

const targetsOf = (rows: readonly CaseRow[]): string[] => [...new Set(rows.map((r) => r.target))].sort();

/**
 * One describe block for a family: the `passing` cases must pass on every float target, each
 * `refused` case must be refused on each target with a message matching its pattern and naming the
 * module path, and each case of `transposes` (passing ones) must have exactly that many TRANSPOSE
 * operators in every TFLite file.
 */
export function describeOpCases(
  title: string,
  family: string,
  prefix: string,
  passing: readonly string[],
  refused: Readonly<Record<string, RegExp>>,
  transposes: Readonly<Record<string, number>> = {},
): void {
  describe(title, () => {
    let byCase: Map<string, CaseRow[]>;
    let records: Map<string, TargetRecord[]>;
    beforeAll(async () => {
      ({ byCase, records } = await verifyOpCases(family, prefix, [...passing, ...Object.keys(refused)], FLOAT_TARGETS));
    }, 1_200_000);

    it('convert and match torch on every float target', () => {
      const rows = new Map(passing.map((name) => [name, byCase.get(name) ?? []]));
      for (const [name, caseRows] of rows) expect(targetsOf(caseRows), name).toEqual([...FLOAT_TARGETS].sort());
      expect(notPassing(rows)).toEqual([]);
    });

    if (Object.keys(transposes).length > 0) {
      it.each(Object.entries(transposes))('%s has %i TRANSPOSE in every TFLite file', (name, count) => {
        const tflite = (records.get(name) ?? []).filter((record) => record.target.startsWith('tflite-'));
        expect(tflite.map((record) => record.target).sort()).toEqual(FLOAT_TARGETS.filter((target) => target.startsWith('tflite-')).sort());
        for (const record of tflite) expect(record.structure?.ops['TRANSPOSE'] ?? 0, record.target).toBe(count);
      });
    }

    it.each(Object.entries(refused))('%s is refused with a message naming the op and what to do', (name, message) => {
      const rows = byCase.get(name) ?? [];
      expect(targetsOf(rows)).toEqual([...FLOAT_TARGETS].sort());
      for (const row of rows) {
        expect(row.status).toBe('error');
        expect(row.reason).toMatch(message);
        expect(row.reason).toMatch(/module path '\(root\)'/);
      }
    });
  });
}
