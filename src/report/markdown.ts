import type { RunReport } from '../harness/index.ts';
import { formatNumber, matrixCells, verdictLine } from './format.ts';
import { latencyMarkdown } from './latency.ts';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', error: '💥', skip: '⏭️', nondeterministic: '🎲' };

/** report.md: a summary line, then a compact table; ready to paste as a pull-request comment. */
export function renderMarkdown(report: RunReport): string {
  const cells = matrixCells(report);
  const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `**torchport ${report.suite}**: ${verdictLine(report)} (${report.models.length} models, torch ${report.environment.torch ?? 'n/a'}, commit ${report.environment.gitCommit?.slice(0, 8) ?? 'n/a'})`,
    '',
    '| model | target | seeds | max abs diff | rel err | rule (limit) | needed | status |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...cells.map(
      (c) =>
        `| ${c.model} | ${c.target} | ${c.seeds ? `${c.seedsPassed}/${c.seeds}` : '-'} | ${formatNumber(c.maxAbsDiff)} | ${formatNumber(c.relError)} | ${c.rule} (${c.limit ?? '-'}) | ${formatNumber(c.needed)} | ${ICON[c.status]} ${c.status}${c.reason && c.status !== 'pass' ? `: ${escape(c.reason.slice(0, 160))}` : ''} |`,
    ),
  ];
  const failed = report.checks.filter((c) => !c.pass);
  if (failed.length) {
    lines.push('', '**Failed checks**', '');
    for (const check of failed) lines.push(`- ${check.model}${check.target ? ` / ${check.target}` : ''} (${check.check}): ${escape(check.problems.join('; '))}`);
  }
  return `${lines.join('\n')}\n${report.latency ? latencyMarkdown(report.latency) : ''}`;
}
