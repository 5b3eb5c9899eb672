import type { LatencyEntry, RunReport } from '../harness/index.ts';
import { formatNumber, matrixCells } from './format.ts';

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** A latency testcase: a gate failure fails it; without a baseline it passes with its numbers as output. */
function latencyCaseBody(entry: LatencyEntry): string {
  if (entry.status === 'error') return `<error message="${xml((entry.reason ?? '').split('\n')[0]!)}">${xml(entry.reason ?? '')}</error>`;
  if (entry.status === 'skip') return `<skipped message="${xml(entry.reason ?? '')}"/>`;
  const gate = entry.gate;
  const stats = entry.stats ? `p50 ${entry.stats.p50.toPrecision(3)} ms, p90 ${entry.stats.p90.toPrecision(3)} ms, n ${entry.stats.n}` : '';
  if (!gate) return `<system-out>${xml(`${stats}; not gated (${entry.timedIn === 'bridge' ? 'timed in the PyTorch bridge' : 'no baseline'})`)}</system-out>`;
  const detail = `normalised median ratio ${gate.ratio.toFixed(3)} [${gate.low.toFixed(3)}, ${gate.high.toFixed(3)}], p(slower) ${gate.pSlower.toExponential(2)}, threshold ${gate.threshold}; ${stats}`;
  return gate.verdict === 'regression' ? `<failure message="${xml(`latency regression: ${detail}`)}">${xml(detail)}</failure>` : `<system-out>${xml(detail)}</system-out>`;
}

/** junit.xml for CI test tabs: one testsuite per model, one testcase per target, one per failed check. */
export function renderJunit(report: RunReport): string {
  const cells = matrixCells(report);
  const models = [...new Set([...report.models.map((m) => m.model)])];
  const suites = models.map((model) => {
    const cases = cells
      .filter((c) => c.model === model)
      .map((c) => {
        const name = `${model} ${c.target}`;
        const detail = `max|diff| ${formatNumber(c.maxAbsDiff)}; rel err ${formatNumber(c.relError)}; rule ${c.rule} limit ${c.limit}; needed ${formatNumber(c.needed)}; seeds ${c.seedsPassed}/${c.seeds}`;
        const body =
          c.status === 'pass'
            ? ''
            : c.status === 'skip'
              ? `<skipped message="${xml(c.reason ?? '')}"/>`
              : `<${c.status === 'error' ? 'error' : 'failure'} message="${xml((c.reason ?? '').split('\n')[0]!)}">${xml(`${detail}\n${c.reason ?? ''}`)}</${c.status === 'error' ? 'error' : 'failure'}>`;
        return `    <testcase classname="torchport.${xml(model)}" name="${xml(name)}">${body}</testcase>`;
      });
    for (const check of report.checks.filter((c) => c.model === model)) {
      const body = check.pass ? '' : `<failure message="${xml(check.problems[0] ?? '')}">${xml(check.problems.join('\n'))}</failure>`;
      cases.push(`    <testcase classname="torchport.${xml(model)}" name="${xml(`${model} check ${check.check}${check.target ? ` ${check.target}` : ''}`)}">${body}</testcase>`);
    }
    for (const entry of report.latency?.entries.filter((e) => e.model === model) ?? []) {
      cases.push(
        `    <testcase classname="torchport.${xml(model)}" name="${xml(`${model} latency ${entry.target}`)}"${entry.stats ? ` time="${(entry.stats.p50 / 1000).toFixed(6)}"` : ''}>${latencyCaseBody(entry)}</testcase>`,
      );
    }
    const failures = cases.filter((c) => c.includes('<failure')).length;
    const errors = cases.filter((c) => c.includes('<error')).length;
    const skipped = cases.filter((c) => c.includes('<skipped')).length;
    return `  <testsuite name="${xml(model)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="torchport ${xml(report.suite)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
