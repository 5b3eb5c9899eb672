// The latency section of a report (torchport bench): a table, target-vs-target ratios, the gate's
// verdict, and per-model inline SVG bar charts for the HTML report.
import type { LatencyComparison, LatencyEntry, LatencySection } from '../harness/index.ts';
import { formatTable } from './table.ts';

function ms(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function pValue(p: number): string {
  return p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
}

function ratioText(c: LatencyComparison): string {
  return `${c.ratio.toFixed(2)}x [${c.low.toFixed(2)}, ${c.high.toFixed(2)}]`;
}

function engineText(e: LatencyEntry): string {
  return e.info ? `${e.info.engine} ${e.info.version} ${e.info.backend}, ${e.info.threads || '?'} thr` : '-';
}

function ratioFor(section: LatencySection, e: LatencyEntry): string {
  const r = section.ratios.find((x) => x.model === e.model && x.target === e.target);
  if (r) return `${ratioText(r.comparison)} vs ${r.reference}`;
  return section.ratios.some((x) => x.model === e.model && x.reference === e.target) ? '(reference)' : '-';
}

function gateText(e: LatencyEntry): string {
  if (!e.gate) return e.status === 'ok' ? (e.timedIn === 'bridge' ? 'not gated' : 'no baseline') : '-';
  return `${ratioText(e.gate)} p ${pValue(e.gate.pSlower)} ${e.gate.verdict.toUpperCase()}`;
}

/** One line: the gate's outcome. */
export function latencyVerdictLine(section: LatencySection): string {
  const s = section.summary;
  if (!section.baseline) return `LATENCY: measured, not gated (no --baseline); calibration ${ms(section.calibration.medianMs)} ms`;
  return (
    `LATENCY ${s.pass ? 'PASS' : 'FAIL'}: ${s.regressions} regression(s), ${s.inconclusive} inconclusive, ${s.gated} gated ` +
    `(fails when U-test p < ${section.method.alpha} and the ${section.method.confidence * 100}% CI of the normalised median ratio is >= ${1 + section.method.threshold}; ` +
    `calibration ${ms(section.calibration.medianMs)} ms here, ${ms(section.baseline.calibrationMs)} ms in the baseline)`
  );
}

function ratioSummaryLines(section: LatencySection): string[] {
  return section.ratioSummary.map((r) => `${r.target} / ${r.reference}: geometric mean ${r.geomean.toFixed(2)}x over ${r.models} model(s)`);
}

/** The terminal table. */
export function latencyTable(section: LatencySection): string {
  const rows = section.entries.map((e) =>
    e.status !== 'ok'
      ? [e.model, e.target, e.status.toUpperCase(), '', '', '', '', '', '', (e.reason ?? '').split('\n')[0]!.slice(0, 100), '']
      : [
          e.model,
          e.target,
          `${e.stats!.n}/${e.warmupRuns ?? 0}`,
          ms(e.stats!.p50),
          ms(e.stats!.p90),
          ms(e.stats!.p99),
          ms(e.stats!.mean),
          ms(e.stats!.sd),
          engineText(e),
          ratioFor(section, e),
          gateText(e),
        ],
  );
  const table = formatTable(['model', 'target', 'n/warm-up', 'p50 ms', 'p90', 'p99', 'mean', 'sd', 'engine', 'ratio [95% CI]', 'vs baseline (normalised)'], rows);
  const injected = Object.entries(section.injectedSlowdown);
  return [
    table,
    ...ratioSummaryLines(section),
    ...(injected.length ? [`TEST HOOK ACTIVE: planted slowdown ${injected.map(([t, f]) => `${t} +${f * 100}%`).join(', ')}`] : []),
    latencyVerdictLine(section),
  ].join('\n');
}

/** report.md: the latency table under the parity table. */
export function latencyMarkdown(section: LatencySection): string {
  const escape = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    '',
    `**Latency** (${section.method.rounds} interleaved rounds, ${section.method.timePerTargetMs} ms measured per target, ${section.method.inputs}): ${escape(latencyVerdictLine(section))}`,
    '',
    '| model | target | n | p50 ms | p90 | p99 | mean | sd | engine | ratio [95% CI] | vs baseline |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...section.entries.map((e) =>
      e.status !== 'ok'
        ? `| ${e.model} | ${e.target} | ${e.status} | | | | | | | ${escape((e.reason ?? '').slice(0, 120))} | |`
        : `| ${e.model} | ${e.target} | ${e.stats!.n} | ${ms(e.stats!.p50)} | ${ms(e.stats!.p90)} | ${ms(e.stats!.p99)} | ${ms(e.stats!.mean)} | ${ms(e.stats!.sd)} | ${escape(engineText(e))} | ${ratioFor(section, e)} | ${e.gate?.verdict === 'regression' ? '❌ ' : ''}${gateText(e)} |`,
    ),
  ];
  const summary = ratioSummaryLines(section);
  if (summary.length) lines.push('', ...summary.map((s) => `- ${s}`));
  return `${lines.join('\n')}\n`;
}

function html(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Per model: a horizontal bar per target at p50, a whisker to p90, a tick at p99. */
function modelChart(model: string, entries: readonly LatencyEntry[], section: LatencySection): string {
  const ok = entries.filter((e) => e.stats);
  if (ok.length === 0) return '';
  const width = 640;
  const label = 120;
  const right = 150;
  const row = 24;
  const height = ok.length * row + 24;
  // Scaled to the largest p90: one descheduled run must not shrink every bar to a sliver; a p99
  // beyond the axis is drawn at its end.
  const max = Math.max(...ok.map((e) => e.stats!.p90)) * 1.15;
  const x = (v: number): number => label + (Math.min(v, max) / max) * (width - label - right);
  const bars = ok
    .map((e, i) => {
      const s = e.stats!;
      const y = 8 + i * row;
      const colour = e.gate?.verdict === 'regression' ? '#e0433a' : e.timedIn === 'bridge' ? '#9aa5b1' : '#2b6cb0';
      const ratio = section.ratios.find((r) => r.model === model && r.target === e.target);
      const note = `${ms(s.p50)} ms${ratio ? ` · ${ratio.comparison.ratio.toFixed(2)}x ${ratio.reference}` : ''}${e.gate ? ` · ${e.gate.verdict}` : ''}`;
      return (
        `<text x="${label - 6}" y="${y + 14}" text-anchor="end" font-size="11">${html(e.target)}</text>` +
        `<rect x="${label}" y="${y + 3}" width="${Math.max(1, x(s.p50) - label).toFixed(1)}" height="${row - 8}" fill="${colour}"><title>${html(`${e.target}: p50 ${ms(s.p50)} ms, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, n ${s.n}`)}</title></rect>` +
        `<line x1="${x(s.p50).toFixed(1)}" x2="${x(s.p90).toFixed(1)}" y1="${y + row / 2 - 1}" y2="${y + row / 2 - 1}" stroke="#333"/>` +
        `<line x1="${x(s.p99).toFixed(1)}" x2="${x(s.p99).toFixed(1)}" y1="${y + 6}" y2="${y + row - 8}" stroke="#333"/>` +
        `<text x="${width - right + 6}" y="${y + 14}" font-size="11">${html(note)}</text>`
      );
    })
    .join('\n');
  return `<figure class="latency"><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="latency of ${html(model)}">
${bars}
<line x1="${label}" x2="${label}" y1="4" y2="${height - 16}" stroke="#999"/><text x="${label}" y="${height - 4}" font-size="10">0</text><text x="${width - right}" y="${height - 4}" font-size="10" text-anchor="end">${ms(max)} ms</text>
</svg><figcaption>${html(model)}: bar = p50, whisker to p90, tick at p99 (at the axis end when beyond it)${ok.some((e) => e.timedIn === 'bridge') ? '; grey = PyTorch reference, timed in Python' : ''}</figcaption></figure>`;
}

/** report.html: the latency table and one bar chart per model. */
export function latencyHtml(section: LatencySection): string {
  const models = [...new Set(section.entries.map((e) => e.model))];
  const rows = section.entries
    .map((e) => {
      const cls = e.gate?.verdict === 'regression' ? ' class="regression"' : '';
      if (e.status !== 'ok') return `<tr><td>${html(e.model)}</td><td>${html(e.target)}</td><td colspan="9">${html(e.status)}: ${html(e.reason ?? '')}</td></tr>`;
      const s = e.stats!;
      return `<tr${cls}><td>${html(e.model)}</td><td>${html(e.target)}</td><td>${s.n}</td><td>${ms(s.p50)}</td><td>${ms(s.p90)}</td><td>${ms(s.p99)}</td><td>${ms(s.mean)}</td><td>${ms(s.sd)}</td><td>${html(engineText(e))}</td><td>${html(ratioFor(section, e))}</td><td>${html(gateText(e))}</td></tr>`;
    })
    .join('\n');
  const summary = ratioSummaryLines(section);
  return `<h2>Latency</h2>
<div class="verdict ${section.summary.pass ? 'pass' : 'fail'}">${html(latencyVerdictLine(section))}</div>
<p class="meta">${section.method.rounds} interleaved rounds, ${section.method.timePerTargetMs} ms measured per target, ${section.method.warmupMs} ms warm-up, ${html(section.method.inputs)}; calibration kernel ${html(section.calibration.kernel)}${section.baseline ? `; baseline ${html(section.baseline.path)} (${html(section.baseline.createdAt)}, ${html(section.baseline.machine)})` : ''}</p>
<table class="latency"><thead><tr><th>model</th><th>target</th><th>n</th><th>p50 ms</th><th>p90</th><th>p99</th><th>mean</th><th>sd</th><th>engine</th><th>ratio [95% CI]</th><th>vs baseline</th></tr></thead><tbody>
${rows}
</tbody></table>
${summary.length ? `<ul>${summary.map((s) => `<li>${html(s)}</li>`).join('')}</ul>` : ''}
${models
  .map((m) =>
    modelChart(
      m,
      section.entries.filter((e) => e.model === m),
      section,
    ),
  )
  .join('\n')}
<style>.latency td,.latency th{border-bottom:1px solid #eee;padding:3px 8px;text-align:right;font:12px ui-monospace,monospace}.latency td:nth-child(-n+2),.latency th:nth-child(-n+2){text-align:left}.latency tr.regression td{background:#fde2e0}</style>`;
}
