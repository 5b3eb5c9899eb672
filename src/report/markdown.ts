import type { RunReport } from '../harness/index.ts';
import { countsLine, formatNumber, formatRatio, matrixCells, shortenReason, verdictLine, type MatrixCell } from './format.ts';
import { latencyMarkdown } from './latency.ts';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', error: '💥', skip: '⏭️', nondeterministic: '🎲' };
/** A reason in the failures list: long enough for the op and the value, short enough for a PR comment. */
const REASON_WIDTH = 300;

function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/</g, '&lt;');
}

function firstDivergentLayer(report: RunReport, cell: MatrixCell): string {
  const first = report.targets.find((t) => t.model === cell.model && t.target === cell.target)?.divergence?.first;
  return first ? `\`${escape(first.module)}\` (${escape(first.op)}, max abs diff ${formatNumber(first.maxAbsDiff)})` : '-';
}

/** What needs a reviewer's eyes: failing lines, failed checks (drift ratchet regressions among them), latency regressions. */
function problemLines(report: RunReport): string[] {
  const lines: string[] = [];
  for (const cell of matrixCells(report).filter((c) => c.status !== 'pass' && c.status !== 'skip')) {
    const reason = cell.reason ? escape(shortenReason(cell.reason, REASON_WIDTH).text) : cell.status;
    lines.push(`| ${ICON[cell.status]} ${cell.status} | ${escape(cell.model)} / ${escape(cell.target)} | ${reason} | ${firstDivergentLayer(report, cell)} |`);
  }
  for (const check of report.checks.filter((c) => !c.pass)) {
    const kind = check.check === 'ratchet' ? '📉 regression' : `❌ check ${check.check}`;
    lines.push(`| ${kind} | ${escape(check.model)}${check.target ? ` / ${escape(check.target)}` : ''} | ${escape(shortenReason(check.problems.join('; '), REASON_WIDTH).text)} | - |`);
  }
  for (const entry of report.latency?.entries.filter((e) => e.gate?.verdict === 'regression') ?? []) {
    const gate = entry.gate!;
    lines.push(
      `| 🐢 latency regression | ${escape(entry.model)} / ${escape(entry.target)} | ${gate.ratio.toFixed(2)}x the baseline (normalised median, 95% CI [${gate.low.toFixed(2)}, ${gate.high.toFixed(2)}]) | - |`,
    );
  }
  return lines;
}

function fullTable(report: RunReport): string[] {
  return [
    "| model | target | seeds | max abs diff | rel err | vs float64 (PyTorch fp32's) | rounding cost | rule (limit) | needed | status |",
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...matrixCells(report).map(
      (c) =>
        `| ${escape(c.model)} | ${escape(c.target)} | ${c.seeds ? `${c.seedsPassed}/${c.seeds}` : '-'} | ${formatNumber(c.maxAbsDiff)} | ${formatNumber(c.relError)} | ${float64Errors(c)} | ${formatRatio(c.float64)} | ${c.rule} (${c.limit ?? '-'}) | ${formatNumber(c.needed)} | ${ICON[c.status]} ${c.status}${c.reason && c.status !== 'pass' ? `: ${escape(shortenReason(c.reason, 160).text)}` : ''} |`,
    ),
  ];
}

/** "6.0e-7 (7.7e-7)": the line's worst error against PyTorch's float64 answer, and PyTorch float32's own. */
function float64Errors(cell: MatrixCell): string {
  if (!cell.float64) return '-';
  if ('unavailable' in cell.float64) return `n/a: ${escape(shortenReason(cell.float64.unavailable, 80).text)}`;
  return `${formatNumber(cell.float64.maxAbsDiff)} (${formatNumber(cell.float64.torchMaxAbsDiff)})`;
}

/**
 * report.md, sized for a pull-request comment or a CI job summary: the verdict first, then what
 * failed or regressed (reason, first divergent layer), then every model x target line folded in a
 * <details> block. Full reasons stay in report.json.
 */
export function renderMarkdown(report: RunReport): string {
  const env = report.environment;
  const parity = report.results.length > 0;
  const problems = problemLines(report);
  const lines = [
    `### ${report.summary.pass ? '✅' : '❌'} torchport ${escape(report.suite)}: ${escape(verdictLine(report))}`,
    '',
    `torch ${env.torch ?? 'n/a'} · node ${env.node} · commit ${env.gitCommit?.slice(0, 8) ?? 'n/a'} · run ${report.runId}`,
  ];
  if (problems.length)
    lines.push(
      '',
      `**Failures and regressions (${problems.length})**${problems.some((l) => l.includes('…')) ? ' (… = shortened; full text in report.json and report.html)' : ''}`,
      '',
      '| what | model / target | reason | first divergent layer |',
      '| --- | --- | --- | --- |',
      ...problems,
    );
  if (parity) lines.push('', `<details><summary>All ${countsLine(report)}</summary>`, '', ...fullTable(report), '', '</details>');
  return `${lines.join('\n')}\n${report.latency ? latencyMarkdown(report.latency) : ''}`;
}
