import type { ResultRow, RunReport } from '../harness/run/index.ts';

/** A fixed-width text table: what a person reads at the end of a run. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value === 0) return '0';
  return value.toExponential(2);
}

const STATUS_ORDER = ['error', 'fail', 'skip', 'pass'] as const;

/** One line per model x target: seeds passed, the worst error over seeds and outputs, the verdict. */
export function summaryTable(report: RunReport): string {
  const groups = new Map<string, ResultRow[]>();
  for (const row of report.results) {
    const key = `${row.model}\u0000${row.target}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const lines: string[][] = [];
  for (const rows of groups.values()) {
    const first = rows[0]!;
    const status = STATUS_ORDER.find((s) => rows.some((r) => r.status === s)) ?? 'pass';
    const seeds = [...new Set(rows.map((r) => r.seed).filter((s) => s !== null))];
    const passedSeeds = seeds.filter((seed) => rows.filter((r) => r.seed === seed).every((r) => r.pass));
    const worst = rows.reduce<number | undefined>((max, r) => (r.maxAbsDiff === undefined ? max : Math.max(max ?? 0, r.maxAbsDiff)), undefined);
    const reason = rows.find((r) => r.status === status && r.reason)?.reason;
    lines.push([
      first.model,
      first.target,
      seeds.length ? `${passedSeeds.length}/${seeds.length}` : '-',
      formatNumber(worst),
      first.tolerance ? `${first.tolerance.atol}` : '-',
      status.toUpperCase() + (reason && status !== 'pass' ? `: ${reason.split('\n')[0]!.slice(0, 100)}` : ''),
    ]);
  }
  const failedChecks = report.checks.filter((c) => !c.pass);
  const table = formatTable(['model', 'target', 'seeds ok', 'max|diff|', 'atol', 'status'], lines);
  const checkLines = failedChecks.map((c) => `CHECK FAILED ${c.model} ${c.check}:\n${c.problems.map((p) => `  - ${p}`).join('\n')}`);
  const s = report.summary;
  const verdict = `${s.pass ? 'PASS' : 'FAIL'}: ${s.passed} passed, ${s.failed} failed, ${s.errors} errors, ${s.skipped} skipped rows; ${s.checksFailed} failed checks`;
  return [table, ...checkLines, verdict].join('\n');
}
