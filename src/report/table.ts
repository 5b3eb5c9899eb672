import type { RunReport } from '../harness/index.ts';
import { formatNumber, formatRatio, matrixCells, shortenReason, verdictLine } from './format.ts';

/** How much of a reason fits a terminal table line. */
const REASON_WIDTH = 110;

/** A fixed-width text table: what a person reads at the end of a run. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One line per model x target: seeds passed, the worst error, the rule's limit and what was needed, the verdict. */
export function summaryTable(report: RunReport): string {
  let shortened = false;
  const lines = matrixCells(report).map((cell) => {
    let status = cell.status.toUpperCase();
    if (cell.reason && cell.status !== 'pass') {
      const reason = shortenReason(cell.reason, REASON_WIDTH);
      shortened ||= reason.shortened;
      status += `: ${reason.text}`;
    }
    return [
      cell.model,
      cell.target,
      cell.seeds ? `${cell.seedsPassed}/${cell.seeds}` : '-',
      formatNumber(cell.maxAbsDiff),
      formatNumber(cell.relError),
      formatRatio(cell.float64),
      `${cell.rule} ${cell.limit ?? '-'}`,
      formatNumber(cell.needed),
      status,
    ];
  });
  // "vs f64": the error against PyTorch's float64 answer as a multiple of PyTorch float32's own (1x = as good as PyTorch).
  const table = formatTable(['model', 'target', 'seeds ok', 'max|diff|', 'rel err', 'vs f64', 'rule limit', 'needed', 'status'], lines);
  const failedChecks = report.checks.filter((c) => !c.pass);
  const checkLines = failedChecks.map((c) => `CHECK FAILED ${c.model}${c.target ? ` ${c.target}` : ''} ${c.check}:\n${c.problems.map((p) => `  - ${p}`).join('\n')}`);
  const note = shortened ? ["(… = reason shortened; the full text of every reason is in this run's report.json and report.html)"] : [];
  return [table, ...note, ...checkLines, verdictLine(report)].join('\n');
}
